/* SPDX-License-Identifier: MIT */
/* reapd: parse the options, build the daemon, run it. */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-version.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sdnotify.h"

int main(int argc, char **argv)
{
	struct config cfg;
	struct daemon *d;
	bool usage = false;
	int r;

	config_init(&cfg);
	r = config_parse_args(&cfg, argc, argv, REAPD_DEFAULT_CONFIG, stdout, stderr);
	if (r != 0) {
		config_free(&cfg);
		return r > 0 ? 0 : 2;
	}
	if (config_fill_defaults(&cfg) < 0) {
		fprintf(stderr, "reapd: out of memory\n");
		config_free(&cfg);
		return 1;
	}
	if (cfg.check_config) {
		printf("reapd: settings OK%s%s\n", cfg.config_path ? " in " : "",
		       cfg.config_path ? cfg.config_path : "");
		config_free(&cfg);
		return 0;
	}
	if (cfg.verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	r = sdnotify_open();
	if (r < 0)
		fprintf(stderr, "reapd: warning: ignoring NOTIFY_SOCKET: %s\n", strerror(-r));

	r = daemon_new(&cfg, &d, &usage);
	if (r < 0) {
		config_free(&cfg);
		return usage ? 2 : 1;
	}
	r = daemon_run(d);
	daemon_free(d);
	sdnotify_close();
	log_close_syslog();
	config_free(&cfg);
	return r;
}
