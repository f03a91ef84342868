/* SPDX-License-Identifier: MIT */
/*
 * reapctl: the command-line client of reapd's control socket (see
 * docs/control-protocol.md).  Each request is one packet and each reply one
 * JSON packet; replies are shown as tables and "key: value" lines
 * (reapctl-print.c), or passed through as received with --json.  Arguments
 * are checked here before anything is sent, so a typo never reaches the
 * daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config-version.h"
#include "ctl_proto.h"
#include "json.h"
#include "reapctl-print.h"

#define REPLY_TIMEOUT_S 5
#define TOP_INTERVAL_MS 1000
#define TOP_VICTIMS	10
#define TOP_MAX_COUNT	1000000L

enum {
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_DENIED = 4,
};

struct ctl {
	const char *path;
	bool json;
	int fd;
	int sigfd;  /* follow and top: SIGINT/SIGTERM, blocked and read here; else -1 */
	size_t len; /* of the packet in buf */
	char buf[CTL_REPLY_MAX + 1];
};

struct request {
	char text[CTL_REQUEST_MAX + 1];
	long count; /* top: frames to show, 0 until interrupted */
};

struct command;
typedef int (*prepare_fn)(const struct command *cmd, int argc, char **argv, struct request *req);
typedef int (*run_fn)(struct ctl *c, const struct command *cmd, const struct request *req);
typedef void (*print_fn)(const struct json *reply);

struct command {
	const char *name;
	prepare_fn prepare;
	print_fn print; /* for one request and one reply */
	run_fn run;	/* instead, for follow and top */
	long max_n;	/* victims and history: the largest N reapd accepts */
};

static void usage(FILE *f)
{
	fputs("usage: reapctl [--socket PATH] [--json] COMMAND [ARGS]\n"
	      "\n"
	      "Asks reapd, the low-memory killer, through its control socket.\n"
	      "\n"
	      "commands:\n"
	      "  status              memory, pressure, pending kills, settings\n"
	      "  victims [N]         who would be killed next, and why (default 20, at most 200)\n"
	      "  history [N]         the last kills (default 20, at most 64)\n"
	      "  killcount [MIN MAX] kills by oom_score_adj range (-1000..1000, default all)\n"
	      "  prio PID ADJ        set a process's oom_score_adj (-1000..1000)\n"
	      "  follow              print kill events as they happen (Ctrl-C to stop)\n"
	      "  metrics             Prometheus metrics\n"
	      "  reload              re-read reapd's config file\n"
	      "  top [--count N]     status and next victims, refreshed every second\n"
	      "\n"
	      "options (before the command):\n"
	      "  --socket PATH       control socket (default: $REAPD_CONTROL, else\n"
	      "                      " CTL_DEFAULT_PATH ")\n"
	      "  --json              print reapd's replies as received, one JSON object a line\n"
	      "  -h, --help          print this help and exit\n"
	      "  -V, --version       print the version and exit\n"
	      "\n"
	      "exit status:\n"
	      "  0  success\n"
	      "  1  reapd refused the request (\"ok\": false); its reason is printed\n"
	      "  2  bad usage: unknown command or option, wrong or non-numeric arguments\n"
	      "  3  reapd cannot be reached: no socket, nobody listening, connection\n"
	      "     closed, every connection taken (its reason is printed), no reply\n"
	      "     within 5 s, or a malformed reply\n"
	      "  4  permission denied on the control socket\n",
	      f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints one line naming what is wrong. Returns -EINVAL. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("reapctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	return -EINVAL;
}

/* ---- the socket ---- */

static int ctl_connect(struct ctl *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
	int fd, r;

	/* The length was checked with the other arguments. */
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	c->fd = fd;
	return 0;
}

static int report_connect(const struct ctl *c, int r)
{
	if (r == -EACCES || r == -EPERM) {
		fprintf(stderr,
			"reapctl: permission denied on %s "
			"(run as root or a member of the socket's group)\n",
			c->path);
		return EXIT_DENIED;
	}
	fprintf(stderr, "reapctl: cannot connect to %s: %s%s\n", c->path, strerror(-r),
		r == -ENOENT || r == -ECONNREFUSED ? " (is reapd running?)" : "");
	return EXIT_UNREACHABLE;
}

/* Maps a failed exchange to its message and exit status; a signal in follow or top is success. */
static int report_io(const struct ctl *c, int r)
{
	switch (r) {
	case -EINTR:
		return EXIT_SUCCESS;
	case -ETIMEDOUT:
		fprintf(stderr, "reapctl: no reply from %s within %d s\n", c->path,
			REPLY_TIMEOUT_S);
		break;
	case -ECONNRESET:
	case -EPIPE:
		fprintf(stderr, "reapctl: reapd closed the connection on %s\n", c->path);
		break;
	case -EMSGSIZE:
		fprintf(stderr, "reapctl: reply from %s is larger than %d bytes\n", c->path,
			CTL_REPLY_MAX);
		break;
	case -EBADMSG:
		fprintf(stderr, "reapctl: malformed reply from %s\n", c->path);
		break;
	default:
		fprintf(stderr, "reapctl: %s: %s\n", c->path, strerror(-r));
		break;
	}
	return EXIT_UNREACHABLE;
}

/*
 * Waits up to @timeout_ms (-1: forever) for a packet on @fd (none when -1)
 * or a signal on @sigfd.  Returns 0 when the socket is readable (or closed),
 * -EINTR for SIGINT/SIGTERM, -ETIMEDOUT, or another -errno.
 */
static int wait_packet(int sigfd, int fd, int timeout_ms)
{
	struct pollfd p[2] = {
	    {.fd = sigfd, .events = POLLIN},
	    {.fd = fd, .events = POLLIN},
	};
	int n;

	do
		n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (p[0].revents)
		return -EINTR;
	return n == 0 ? -ETIMEDOUT : 0;
}

/*
 * Receives one packet into c->buf and parses it.  Returns 0 with the object
 * in *@ret, -ECONNRESET when reapd closed the connection, -ETIMEDOUT,
 * -EMSGSIZE, -EBADMSG (not one JSON object), -EINTR (a signal, with a
 * signalfd), or another -errno.
 */
static int receive(struct ctl *c, int timeout_ms, struct json **ret)
{
	struct json *root;
	ssize_t n;
	int r;

	if (c->sigfd >= 0) {
		r = wait_packet(c->sigfd, c->fd, timeout_ms);
		if (r < 0)
			return r;
	}
	/* MSG_TRUNC makes recv() return the packet's real length, so an oversize reply shows. */
	n = recv(c->fd, c->buf, CTL_REPLY_MAX, MSG_TRUNC);
	/*
	 * reapd closing with our request unread (it refused the connection)
	 * makes the first recv() fail with ECONNRESET; what it sent before
	 * closing, the reason, still waits behind that error.
	 */
	if (n < 0 && errno == ECONNRESET) {
		n = recv(c->fd, c->buf, CTL_REPLY_MAX, MSG_TRUNC | MSG_DONTWAIT);
		if (n <= 0)
			return -ECONNRESET;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n > CTL_REPLY_MAX)
		return -EMSGSIZE;
	c->len = (size_t)n;
	c->buf[n] = '\0';
	/* A NUL inside the packet would hide the rest of it from the parser. */
	if (memchr(c->buf, '\0', c->len))
		return -EBADMSG;
	r = json_parse(c->buf, &root);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	if (json_type(root) != JSON_OBJECT) {
		json_free(root);
		return -EBADMSG;
	}
	*ret = root;
	return 0;
}

/* Sends @req and receives its reply, which must say "ok". Returns 0 or -errno as receive(). */
static int transact(struct ctl *c, const char *req, struct json **ret)
{
	struct json *reply;
	int r;

	if (send(c->fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		r = -errno;
		/* reapd may have refused us at once, saying why before it closed: read that. */
		if ((r == -EPIPE || r == -ECONNRESET) && receive(c, 0, &reply) == 0) {
			*ret = reply;
			return 0;
		}
		return r;
	}
	r = receive(c, REPLY_TIMEOUT_S * 1000, &reply);
	if (r < 0)
		return r;
	if (json_bool(json_get(reply, "ok")) < 0) {
		json_free(reply);
		return -EBADMSG;
	}
	*ret = reply;
	return 0;
}

/*
 * Reports a refusal ("ok": false). Returns 0, EXIT_REFUSED, or
 * EXIT_UNREACHABLE when reapd would not serve this connection at all
 * ("busy": every connection is taken).
 */
static int answer(const struct ctl *c, const struct json *reply, bool raw)
{
	if (raw && c->json)
		print_raw(c->buf, c->len);
	if (json_bool(json_get(reply, "ok")) == 1)
		return 0;
	print_refusal(reply);
	return json_bool(json_get(reply, "busy")) == 1 ? EXIT_UNREACHABLE : EXIT_REFUSED;
}

/* ---- commands ---- */

static int run_request(struct ctl *c, const struct command *cmd, const struct request *req)
{
	struct json *reply = NULL;
	int r = transact(c, req->text, &reply);

	if (r < 0)
		return report_io(c, r);
	r = answer(c, reply, true);
	if (r == 0 && !c->json)
		cmd->print(reply);
	json_free(reply);
	return r;
}

static int run_follow(struct ctl *c, const struct command *cmd, const struct request *req)
{
	static const struct timeval forever = {0};
	struct json *reply = NULL;
	int r;

	(void)cmd;
	r = transact(c, req->text, &reply);
	if (r < 0)
		return report_io(c, r);
	/* The subscription's reply is not an event: --json shows events only. */
	r = answer(c, reply, false);
	json_free(reply);
	if (r)
		return r;
	/* Kills may be hours apart: from here only a signal or reapd leaving ends the wait. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof(forever)) < 0)
		return report_io(c, -errno);
	for (;;) {
		struct json *ev = NULL;

		r = receive(c, -1, &ev);
		if (r < 0)
			return report_io(c, r);
		if (c->json)
			print_raw(c->buf, c->len);
		else
			print_event(ev, c->buf, c->len);
		json_free(ev);
		/* Through a pipe too, each event shows as it happens. */
		fflush(stdout);
	}
}

/* Returns 0, EXIT_REFUSED, or -errno. */
static int top_fetch(struct ctl *c, const char *req, struct json **ret)
{
	int r = transact(c, req, ret);

	return r < 0 ? r : answer(c, *ret, true);
}

/* Returns 0, EXIT_REFUSED, or -errno. */
static int top_frame(struct ctl *c, bool tty, long frame)
{
	struct json *status = NULL, *victims = NULL;
	char req[32];
	int r;

	snprintf(req, sizeof(req), "victims %d", TOP_VICTIMS);
	r = top_fetch(c, "status", &status);
	if (r == 0)
		r = top_fetch(c, req, &victims);
	if (r == 0 && !c->json) {
		/* Escape codes only for a terminal; a pipe or a file gets blank lines between. */
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (frame > 0)
			putchar('\n');
		print_top(status, victims, TOP_VICTIMS);
	}
	fflush(stdout);
	json_free(status);
	json_free(victims);
	return r;
}

static int run_top(struct ctl *c, const struct command *cmd, const struct request *req)
{
	bool tty = !c->json && isatty(STDOUT_FILENO);
	int r;

	(void)cmd;
	for (long i = 0; req->count == 0 || i < req->count; i++) {
		if (i > 0) {
			/* Sleep, but wake at once for Ctrl-C. */
			r = wait_packet(c->sigfd, -1, TOP_INTERVAL_MS);
			if (r != -ETIMEDOUT)
				return report_io(c, r);
		}
		r = top_frame(c, tty, i);
		if (r < 0)
			return report_io(c, r);
		if (r > 0)
			return r;
	}
	return EXIT_SUCCESS;
}

/* ---- arguments ---- */

/* Parses a whole decimal integer in [@min, @max]: no sign but '-', no spaces. */
static int parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (*s != '-' && (*s < '0' || *s > '9'))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int number_arg(const char *cmd, const char *name, const char *s, long min, long max,
		      long *ret)
{
	if (parse_long(s, min, max, ret) == 0)
		return 0;
	return usage_error("%s: %s must be a whole number from %ld to %ld, not '%s'", cmd, name,
			   min, max, s);
}

static int prep_none(const struct command *cmd, int argc, char **argv, struct request *req)
{
	if (argc > 0)
		return usage_error("%s takes no arguments, not '%s'", cmd->name, argv[0]);
	snprintf(req->text, sizeof(req->text), "%s", cmd->name);
	return 0;
}

/* follow is the command's name for people; "subscribe" is the protocol's. */
static int prep_subscribe(const struct command *cmd, int argc, char **argv, struct request *req)
{
	if (argc > 0)
		return usage_error("%s takes no arguments, not '%s'", cmd->name, argv[0]);
	snprintf(req->text, sizeof(req->text), "subscribe");
	return 0;
}

static int prep_count(const struct command *cmd, int argc, char **argv, struct request *req)
{
	long n = 0;

	if (argc > 1)
		return usage_error("%s takes at most one argument, N; '%s' is one too many",
				   cmd->name, argv[1]);
	if (argc == 0)
		return prep_none(cmd, argc, argv, req);
	if (number_arg(cmd->name, "N", argv[0], 1, cmd->max_n, &n) < 0)
		return -EINVAL;
	snprintf(req->text, sizeof(req->text), "%s %ld", cmd->name, n);
	return 0;
}

static int prep_killcount(const struct command *cmd, int argc, char **argv, struct request *req)
{
	long min = 0, max = 0;

	if (argc == 0)
		return prep_none(cmd, argc, argv, req);
	if (argc != 2)
		return usage_error(
		    "killcount takes both MIN and MAX or neither (got %d argument%s)", argc,
		    argc == 1 ? "" : "s");
	if (number_arg(cmd->name, "MIN", argv[0], CTL_ADJ_MIN, CTL_ADJ_MAX, &min) < 0 ||
	    number_arg(cmd->name, "MAX", argv[1], CTL_ADJ_MIN, CTL_ADJ_MAX, &max) < 0)
		return -EINVAL;
	if (min > max)
		return usage_error("killcount: MIN %ld is above MAX %ld", min, max);
	snprintf(req->text, sizeof(req->text), "%s %ld %ld", cmd->name, min, max);
	return 0;
}

static int prep_prio(const struct command *cmd, int argc, char **argv, struct request *req)
{
	long pid = 0, adj = 0;

	if (argc != 2)
		return usage_error("prio takes PID and ADJ (got %d argument%s)", argc,
				   argc == 1 ? "" : "s");
	if (number_arg(cmd->name, "PID", argv[0], 1, INT_MAX, &pid) < 0 ||
	    number_arg(cmd->name, "ADJ", argv[1], CTL_ADJ_MIN, CTL_ADJ_MAX, &adj) < 0)
		return -EINVAL;
	snprintf(req->text, sizeof(req->text), "%s %ld %ld", cmd->name, pid, adj);
	return 0;
}

static int prep_top(const struct command *cmd, int argc, char **argv, struct request *req)
{
	const char *count = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = argv[++i];
		else if (strncmp(argv[i], "--count=", 8) == 0)
			count = argv[i] + 8;
		else if (strcmp(argv[i], "--count") == 0)
			return usage_error("top: --count needs a number");
		else
			return usage_error("top: unknown argument '%s' (only --count N)", argv[i]);
	}
	if (count && number_arg("top", "--count", count, 1, TOP_MAX_COUNT, &req->count) < 0)
		return -EINVAL;
	/* top itself sends "status" and "victims N": nothing to build here. */
	snprintf(req->text, sizeof(req->text), "%s", cmd->name);
	return 0;
}

static const struct command commands[] = {
    {"status", prep_none, print_status, NULL, 0},
    {"victims", prep_count, print_victims, NULL, CTL_VICTIMS_MAX},
    {"history", prep_count, print_history, NULL, CTL_HISTORY_MAX},
    {"killcount", prep_killcount, print_killcount, NULL, 0},
    {"prio", prep_prio, print_prio, NULL, 0},
    {"follow", prep_subscribe, NULL, run_follow, 0},
    {"metrics", prep_none, print_metrics, NULL, 0},
    {"reload", prep_none, print_reload, NULL, 0},
    {"top", prep_top, NULL, run_top, 0},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * follow and top end on SIGINT/SIGTERM with status 0: the signals are
 * blocked and read from a signalfd polled next to the socket, so one that
 * arrives between two checks is never lost.
 */
static int catch_signals(struct ctl *c)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	c->sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	return c->sigfd < 0 ? -errno : 0;
}

/*
 * Parses the options before the command.  Returns the index of the command in
 * @argv, or -1 to exit at once with *@status.
 */
static int parse_options(int argc, char **argv, struct ctl *c, int *status)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {},
	};
	int o;

	*status = EXIT_USAGE;
	opterr = 0;
	/* '+': stop at the command, so "killcount -1000 0" is not read as options. */
	while ((o = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			c->path = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			usage(stdout);
			*status = EXIT_SUCCESS;
			return -1;
		case 'V':
			printf("reapctl %s\n", REAPD_VERSION);
			*status = EXIT_SUCCESS;
			return -1;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				usage_error("unknown option '-%c' (see reapctl --help)", optopt);
			else
				usage_error("unknown option '%s' (see reapctl --help)",
					    argv[optind - 1]);
			return -1;
		}
	}
	if (optind >= argc) {
		usage_error("no command given (see reapctl --help)");
		return -1;
	}
	return optind;
}

/* "reapctl status --json" is a common slip: say where the option goes, not just "too many". */
static int misplaced_option(int argc, char **argv)
{
	static const char *const globals[] = {"--json", "--socket", "--help", "--version"};

	for (int i = 0; i < argc; i++)
		for (size_t g = 0; g < sizeof(globals) / sizeof(globals[0]); g++)
			if (strncmp(argv[i], globals[g], strlen(globals[g])) == 0 &&
			    (argv[i][strlen(globals[g])] == '\0' ||
			     argv[i][strlen(globals[g])] == '='))
				return usage_error("%s goes before the command (reapctl %s ...)",
						   globals[g], globals[g]);
	return 0;
}

static int check_path(const char *path)
{
	if (!*path)
		return usage_error("the socket path is empty");
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return usage_error("socket path too long (at most %zu bytes): %s",
				   sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1, path);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("REAPD_CONTROL");
	const struct command *cmd;
	struct request req = {0};
	struct ctl *c = calloc(1, sizeof(*c));
	int i, r, status;

	if (!c) {
		fprintf(stderr, "reapctl: out of memory\n");
		return EXIT_UNREACHABLE;
	}
	c->fd = c->sigfd = -1;
	c->path = env && *env ? env : CTL_DEFAULT_PATH;
	i = parse_options(argc, argv, c, &status);
	if (i < 0)
		goto out;
	status = EXIT_USAGE;
	cmd = find_command(argv[i]);
	if (!cmd) {
		usage_error("unknown command '%s' (see reapctl --help)", argv[i]);
		goto out;
	}
	if (misplaced_option(argc - i - 1, argv + i + 1) < 0 ||
	    cmd->prepare(cmd, argc - i - 1, argv + i + 1, &req) < 0 || check_path(c->path) < 0)
		goto out;
	if (cmd->run && (r = catch_signals(c)) < 0) {
		status = report_io(c, r);
		goto out;
	}
	r = ctl_connect(c);
	if (r < 0)
		status = report_connect(c, r);
	else
		status = cmd->run ? cmd->run(c, cmd, &req) : run_request(c, cmd, &req);
out:
	if (c->fd >= 0)
		close(c->fd);
	if (c->sigfd >= 0)
		close(c->sigfd);
	free(c);
	return status;
}
