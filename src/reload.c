/* SPDX-License-Identifier: MIT */
/* Reloading the settings (SIGHUP, "reload", LMK_UPDATE_PROPS) while victims may be dying. */
#include "reload.h"


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sdnotify.h"
#include "sys.h"

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Keeps @old's value of a setting that cannot change while running, with a warning. */
static void keep_string(const char *name, char **fresh, char **old)
{
	if (same_string(*fresh, *old))
		return;
	log_warn("reload: %s changed; it takes effect at the next start", name);
	char *t = *fresh;
	*fresh = *old;
	*old = t;
}

#define KEEP_VALUE(name, fresh, old)                                                               \
	do {                                                                                       \
		if ((fresh) != (old)) {                                                            \
			log_warn("reload: %s changed; it takes effect at the next start", name);  \
			(fresh) = (old);                                                           \
		}                                                                                  \
	} while (0)

static void keep_fixed(struct config *fresh, struct config *old)
{
	keep_string("scope", &fresh->scope, &old->scope);
	keep_string("proc-root", &fresh->proc_root, &old->proc_root);
	keep_string("cgroup-root", &fresh->cgroup_root, &old->cgroup_root);
	keep_string("sys-root", &fresh->sys_root, &old->sys_root);
	keep_string("control", &fresh->control_path, &old->control_path);
	keep_string("lmkd-socket", &fresh->lmkd_path, &old->lmkd_path);
	KEEP_VALUE("control-mode", fresh->control_mode, old->control_mode);
	KEEP_VALUE("lmkd-mode", fresh->lmkd_mode, old->lmkd_mode);
	KEEP_VALUE("reaper-threads", fresh->reaper_threads, old->reaper_threads);
	KEEP_VALUE("no-mlock", fresh->no_mlock, old->no_mlock);
	KEEP_VALUE("sync-reap", fresh->sync_reap, old->sync_reap);
	KEEP_VALUE("hold-line", fresh->hold_line, old->hold_line);
	KEEP_VALUE("no-realtime", fresh->no_realtime, old->no_realtime);
	KEEP_VALUE("syslog", fresh->syslog, old->syslog);
	KEEP_VALUE("watchdog", fresh->watchdog_ms, old->watchdog_ms);
	keep_string("syslog-socket", &fresh->syslog_socket, &old->syslog_socket);
	/* Switching users needs CAP_SETUID, which reapd keeps only if it started with a user. */
	keep_string("kill-hook-user", &fresh->kill_hook_user, &old->kill_hook_user);
	fresh->kill_hook_uid = old->kill_hook_uid;
	fresh->kill_hook_gid = old->kill_hook_gid;
	fresh->control_is_default = old->control_is_default;
}

/*
 * Makes room for matching @fresh's name rules in the loop's scratch, and
 * compiles the watchdog's copy of them into @ret_rules (room made in its
 * scratch too): nothing is handed over yet, so a failure leaves the old rules
 * working everywhere.  Returns 0 or -errno (@ret_rules then empty).
 */
static int prepare_rules(const struct reload_target *t, const struct config *fresh,
			 struct policy_rules *ret_rules)
{
	int r;

	*ret_rules = (struct policy_rules){0};
	if ((r = round_reserve_rules(t->round, &fresh->rules)) < 0 || !t->watchdog)
		return r;
	if ((r = policy_rules_copy(&fresh->rules, ret_rules)) < 0)
		return r;
	if ((r = watchdog_reserve_rules(t->watchdog, ret_rules)) < 0)
		policy_rules_free(ret_rules);
	return r;
}

/*
 * Opens a changed events file, resizes the victim list and prepares the name
 * rules (prepare_rules()). Returns 0 or -errno with @err.
 */
static int prepare(const struct reload_target *t, const struct config *fresh,
		   struct events **ret_events, uint32_t **ret_victims,
		   struct policy_rules *ret_rules, char *err, size_t err_len)
{
	int r;

	*ret_events = NULL;
	*ret_victims = NULL;
	*ret_rules = (struct policy_rules){0};
	if (!same_string(fresh->events_path, t->cfg->events_path) && fresh->events_path &&
	    (r = events_open(fresh->events_path, ret_events)) < 0) {
		snprintf(err, err_len, "events: cannot open '%s': %s", fresh->events_path,
			 strerror(-r));
		return r;
	}
	if (fresh->max_victims != t->cfg->max_victims &&
	    !(*ret_victims = calloc(fresh->max_victims, sizeof(**ret_victims)))) {
		events_free(*ret_events);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if ((r = prepare_rules(t, fresh, ret_rules)) < 0) {
		free(*ret_victims);
		events_free(*ret_events);
		*ret_victims = NULL;
		*ret_events = NULL;
		snprintf(err, err_len, "name rules: %s", strerror(-r));
		return r;
	}
	if ((r = report_configure(t->report, fresh)) < 0) {
		policy_rules_free(ret_rules);
		free(*ret_victims);
		events_free(*ret_events);
		*ret_victims = NULL;
		*ret_events = NULL;
		snprintf(err, err_len, "kill-hook or metrics-file: %s", strerror(-r));
		return r;
	}
	return 0;
}

void reload_apply_params(const struct config *cfg, struct decide_params *params,
			 struct watchdog *watchdog)
{
	params->mem_min = cfg->mem_min;
	params->swap_min = cfg->swap_min;
	params->target_kib = cfg->target_kib;
	params->min_adj = cfg->min_adj;
	params->psi_some_min_adj = cfg->min_adj > 200 ? cfg->min_adj : 200;
	params->swap_util_max_pct = cfg->swap_util_max_pct;
	if (watchdog)
		watchdog_set_params(watchdog, params, cfg->dry_run ? 0 : cfg->max_victims,
				    cfg->kill_timeout_ms, !cfg->no_reap, !cfg->no_boost);
}

int reload_run(const struct reload_target *t, char *err, size_t err_len)
{
	struct config fresh, old;
	struct policy_rules watchdog_rules;
	struct events *events;
	uint32_t *victims;
	bool psi_changed;
	char psi[128];
	int r;

	sdnotify_send("RELOADING=1\nSTATUS=Reloading the settings");
	if ((r = config_reload(t->cfg, &fresh, err, err_len)) < 0 ||
	    (r = prepare(t, &fresh, &events, &victims, &watchdog_rules, err, err_len)) < 0) {
		log_warn("reload failed, keeping the old settings: %s", err);
		sdnotify_send("READY=1\nSTATUS=Reload failed, old settings kept: %s", err);
		/* Safe either way: a failed config_reload() leaves @fresh empty. */
		config_free(&fresh);
		return r;
	}
	keep_fixed(&fresh, t->cfg);
	if (!same_string(fresh.events_path, t->cfg->events_path)) {
		report_set_events(t->report, events);
	}
	if (victims)
		round_set_victims(t->round, victims);
	psi_changed = fresh.psi_some_ms != t->cfg->psi_some_ms ||
		      fresh.psi_full_ms != t->cfg->psi_full_ms ||
		      fresh.psi_critical_ms != t->cfg->psi_critical_ms ||
		      fresh.psi_window_ms != t->cfg->psi_window_ms;

	/*
	 * Swap in place: the loop's process table points at the config's rules (and has
	 * room for the new ones).  The watchdog never reads them: it gets its own
	 * copy, handed over while it is not scanning.
	 */
	old = *t->cfg;
	*t->cfg = fresh;
	config_free(&old);
	if (t->watchdog && watchdog_set_rules(t->watchdog, &watchdog_rules) < 0) {
		log_warn("reload: out of memory; the watchdog keeps the old name rules");
		policy_rules_free(&watchdog_rules);
	}

	reload_apply_params(t->cfg, t->params, t->watchdog);
	killer_set_config(t->killer, t->cfg->kill_timeout_ms, t->cfg->dry_run);
	reaper_set_reap(t->reaper, !t->cfg->no_reap);
	reaper_set_boost(t->reaper, !t->cfg->no_boost);
	log_set_level(t->cfg->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (psi_changed) {
		sources_remove(t->sources, "psi");
		sources_open_psi(t->sources, t->cfg, psi, sizeof(psi));
		log_info("reload: psi now %s", psi[0] ? psi : "off");
	}
	/* --mem-min may have moved: re-register the usage thresholds at the next look. */
	sources_invalidate_thresholds(t->sources);
	log_info("reloaded the settings%s%s", t->cfg->config_path ? " from " : "",
		 t->cfg->config_path ? t->cfg->config_path : "");
	report_reschedule_metrics(t->report);
	sdnotify_send("READY=1\nSTATUS=Watching %s; %llu kills; settings reloaded",
		    domain_name(t->domain), (unsigned long long)report_kills(t->report));
	round_evaluate(t->round, 0);
	return 0;
}
