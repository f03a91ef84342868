/* SPDX-License-Identifier: MIT */
/* The control socket: its request parser, and the server against real clients:
 * every command, every malformed request, limits, slow subscribers, and the
 * rules for the socket file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "sock.h"

static void test_parse_valid(void **state)
{
	static const struct {
		const char *req;
		enum ctl_cmd cmd;
		long a0, a1;
	} t[] = {
		{"status", CTL_STATUS, 0, 0},
		{"status\n", CTL_STATUS, 0, 0},
		{"victims", CTL_VICTIMS, 20, 0},
		{"victims 5", CTL_VICTIMS, 5, 0},
		{"victims 200", CTL_VICTIMS, 200, 0},
		{"history", CTL_HISTORY, 20, 0},
		{"history 64", CTL_HISTORY, 64, 0},
		{"killcount", CTL_KILLCOUNT, -1000, 1000},
		{"killcount 0 900", CTL_KILLCOUNT, 0, 900},
		{"killcount -1000 -1000", CTL_KILLCOUNT, -1000, -1000},
		{"prio 1234 500", CTL_PRIO, 1234, 500},
		{"prio 2 -1000", CTL_PRIO, 2, -1000},
		{"subscribe", CTL_SUBSCRIBE, 0, 0},
		{"metrics", CTL_METRICS, 0, 0},
		{"reload", CTL_RELOAD, 0, 0},
		{"prio  7   8", CTL_PRIO, 7, 8}, /* runs of spaces are one separator */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ctl_request r;
		char err[128] = "";

		if (ctl_parse_request(t[i].req, strlen(t[i].req), &r, err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", t[i].req, err);
		assert_int_equal(r.cmd, t[i].cmd);
		assert_int_equal(r.arg[0], t[i].a0);
		assert_int_equal(r.arg[1], t[i].a1);
	}
}

static void test_parse_invalid(void **state)
{
	static const struct {
		const char *req;
		const char *says;
	} t[] = {
		{"", "empty"},
		{"\n", "empty"},
		{" ", "empty"},
		{"bogus", "unknown command 'bogus'"},
		{"STATUS", "unknown command"},
		{"status now", "usage: status"},
		{"victims 0", "N must be from 1 to 200"},
		{"victims 201", "N must be from 1 to 200"},
		{"victims x", "not a number: 'x'"},
		{"victims 5 6", "usage: victims [N]"},
		{"history 65", "N must be from 1 to 64"},
		{"killcount 5", "usage: killcount [MIN MAX]"},
		{"killcount 10 5", "MIN must not be above MAX"},
		{"killcount -1001 0", "MIN must be from -1000 to 1000"},
		{"prio 1", "usage: prio PID ADJ"},
		{"prio 0 5", "PID must be from 1"},
		{"prio -5 5", "PID must be from 1"},
		{"prio 5 1001", "ADJ must be from -1000 to 1000"},
		{"prio 5 5x", "not a number: '5x'"},
		{"prio 99999999999 5", "not a number"},
		{"a b c d e", "too many arguments"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ctl_request r = {.cmd = CTL_RELOAD, .arg = {77, 88}};
		char err[128] = "";

		if (ctl_parse_request(t[i].req, strlen(t[i].req), &r, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", t[i].req);
		if (!strstr(err, t[i].says))
			fail_msg("'%s': error '%s' lacks '%s'", t[i].req, err, t[i].says);
		/* Nothing written on failure. */
		assert_int_equal(r.cmd, CTL_RELOAD);
		assert_int_equal(r.arg[0], 77);
	}
}

static void test_parse_binary_and_long(void **state)
{
	char buf[400], err[128];
	struct ctl_request r;

	(void)state;
	assert_int_equal(ctl_parse_request("stat\0us", 7, &r, err, sizeof(err)), -EINVAL);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(ctl_parse_request(buf, CTL_REQUEST_MAX + 1, &r, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "longer than"));
}

/* ---- the server ---- */

struct fixture {
	char dir[64], path[128];
	struct loop *loop;
	struct ctl *ctl;
	int calls;
	enum ctl_cmd last;
	uid_t last_uid;
	bool fail_next;
};

static int fake_handler(void *ctx, const struct ctl_request *req, const struct ucred *peer,
			struct jsonw *w, char *err, size_t err_len)
{
	struct fixture *f = ctx;

	f->calls++;
	f->last = req->cmd;
	f->last_uid = peer->uid;
	if (f->fail_next) {
		f->fail_next = false;
		snprintf(err, err_len, "refused on purpose");
		return -EPERM;
	}
	jsonw_kv_int(w, "cmd", req->cmd);
	jsonw_kv_int(w, "arg0", req->arg[0]);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/reapd-test-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* A directory that does not exist yet: the server creates it. */
	snprintf(f->path, sizeof(f->path), "%s/run/control", f->dir);
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(ctl_new(f->path, 0660, f->loop, fake_handler, f, &f->ctl), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	ctl_free(f->ctl);
	loop_free(f->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int client(const struct fixture *f)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 2};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(a.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends @req from @fd, lets the server run, returns the reply (static buffer). */
static const char *ask(struct fixture *f, int fd, const char *req, size_t len)
{
	static char reply[CTL_REPLY_MAX + 1];
	ssize_t n;

	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	for (int i = 0; i < 3; i++)
		loop_iterate(f->loop, 50);
	n = recv(fd, reply, sizeof(reply) - 1, MSG_DONTWAIT);
	if (n < 0)
		return NULL;
	reply[n] = '\0';
	return reply;
}

static void test_serve_commands(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);
	const char *r;

	r = ask(f, fd, "status", 6);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":0,\"arg0\":0}");
	assert_int_equal(f->last_uid, getuid());
	r = ask(f, fd, "victims 7\n", 10);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":1,\"arg0\":7}");
	r = ask(f, fd, "killcount", 9);
	assert_string_equal(r, "{\"ok\":true,\"cmd\":3,\"arg0\":-1000}");
	f->fail_next = true;
	r = ask(f, fd, "reload", 6);
	assert_string_equal(r, "{\"ok\":false,\"error\":\"refused on purpose\"}");
	assert_int_equal(f->calls, 4);
	/* subscribe is the socket's own business. */
	r = ask(f, fd, "subscribe", 9);
	assert_string_equal(r, "{\"ok\":true,\"subscribed\":true}");
	assert_int_equal(f->calls, 4);
	close(fd);
}

static void test_serve_malformed(void **state)
{
	static const char *const bad[] = {"bogus", "prio 1", "victims -1", "status x", " "};
	struct fixture *f = *state;
	char big[600];
	int fd = client(f);
	const char *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = ask(f, fd, bad[i], strlen(bad[i]));
		assert_non_null(r);
		if (strncmp(r, "{\"ok\":false,\"error\":", 20) != 0)
			fail_msg("'%s' got '%s'", bad[i], r);
	}
	memset(big, 's', sizeof(big));
	r = ask(f, fd, big, sizeof(big));
	assert_non_null(strstr(r, "longer than"));
	r = ask(f, fd, "status\0junk", 11);
	assert_non_null(strstr(r, "\"ok\":false"));
	/* The handler never saw any of them, and the connection still works. */
	assert_int_equal(f->calls, 0);
	assert_non_null(strstr(ask(f, fd, "metrics", 7), "\"ok\":true"));
	close(fd);
}

static void test_broadcast_and_slow_subscriber(void **state)
{
	struct fixture *f = *state;
	int sub = client(f), plain = client(f), slow = client(f);
	char buf[256];
	ssize_t n;

	ask(f, sub, "subscribe", 9);
	ask(f, slow, "subscribe", 9);
	assert_int_equal(ctl_clients(f->ctl), 3);
	ctl_broadcast(f->ctl, "{\"event\":\"kill\"}", 16);
	n = recv(sub, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 16);
	assert_int_equal(recv(plain, buf, sizeof(buf), MSG_DONTWAIT), -1);
	/* The slow one never reads: sooner or later it is dropped, never waited for. */
	for (int i = 0; i < 100000 && ctl_clients(f->ctl) == 3; i++) {
		ctl_broadcast(f->ctl, "{\"event\":\"kill\"}", 16);
		while (recv(sub, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	assert_int_equal(ctl_clients(f->ctl), 2);
	close(sub);
	close(plain);
	close(slow);
}

static void test_too_many_connections(void **state)
{
	struct fixture *f = *state;
	int fds[CTL_MAX_CLIENTS + 1];
	char buf[256];
	ssize_t n;

	for (int i = 0; i <= CTL_MAX_CLIENTS; i++) {
		fds[i] = client(f);
		loop_iterate(f->loop, 20);
	}
	assert_int_equal(ctl_clients(f->ctl), CTL_MAX_CLIENTS);
	n = recv(fds[CTL_MAX_CLIENTS], buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "too many connections"));
	assert_int_equal(recv(fds[CTL_MAX_CLIENTS], buf, sizeof(buf), 0), 0); /* closed */
	for (int i = 0; i <= CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	for (int i = 0; i < 5; i++)
		loop_iterate(f->loop, 20);
	assert_int_equal(ctl_clients(f->ctl), 0);
}

static void test_socket_file_rules(void **state)
{
	struct fixture *f = *state;
	struct loop *l2;
	struct ctl *c2;
	struct stat st;
	char path[160];
	int fd;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(loop_new(&l2), 0);
	/* A live socket is not taken over. */
	assert_int_equal(ctl_new(f->path, 0660, l2, fake_handler, f, &c2), -EADDRINUSE);
	/* Something that is not a socket is never removed. */
	snprintf(path, sizeof(path), "%s/file", f->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(ctl_new(path, 0660, l2, fake_handler, f, &c2), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* A stale socket is replaced. */
	snprintf(path, sizeof(path), "%s/stale", f->dir);
	fd = sock_listen(path, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_new(path, 0640, l2, fake_handler, f, &c2), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	ctl_free(c2);
	/* Removed when closed. */
	assert_int_equal(stat(path, &st), -1);
	loop_free(l2);
}

static void test_parse_mode(void **state)
{
	mode_t m;

	(void)state;
	assert_int_equal(parse_mode("0660", &m), 0);
	assert_int_equal(m, 0660);
	assert_int_equal(parse_mode("600", &m), 0);
	assert_int_equal(m, 0600);
	assert_int_equal(parse_mode("0668", &m), -EINVAL);
	assert_int_equal(parse_mode("1777", &m), -EINVAL);
	assert_int_equal(parse_mode("", &m), -EINVAL);
	assert_int_equal(parse_mode("rw", &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_binary_and_long),
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test_setup_teardown(test_serve_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serve_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_and_slow_subscriber, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_file_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
