/* SPDX-License-Identifier: MIT */
/* The lmkd endpoint: the wire format, and the server against real clients and
 * real processes (children of this test): records, ownership, purges, the
 * 4th-connection rule, kill counts, notifications, malformed packets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "lmkd.h"
#include "lmkd_proto.h"

/* Builds a packet from ints; returns its length. */
static size_t pack(unsigned char *buf, const int32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t x = htonl((uint32_t)v[i]);
		memcpy(buf + 4 * i, &x, 4);
	}
	return 4 * n;
}

static void test_parse_table(void **state)
{
	static const struct {
		int32_t v[14];
		size_t n;
		int want;
	} t[] = {
		{{LMK_TARGET}, 1, 0},
		{{LMK_TARGET, 18432, 0, 23040, 100, 27648, 200}, 7, 0},
		{{LMK_TARGET, 1, 0, 2, 100, 3, 200, 4, 300, 5, 400, 6, 500}, 13, 0},
		{{LMK_TARGET, 1}, 2, -EBADMSG},
		{{LMK_TARGET, -1, 0}, 3, -ERANGE},
		{{LMK_TARGET, 1, 1001}, 3, -ERANGE},
		{{LMK_PROCPRIO, 100, 1000, 900}, 4, 0},
		{{LMK_PROCPRIO, 100, 1000, 900, LMK_PROC_SERVICE}, 5, 0},
		{{LMK_PROCPRIO, 100, 1000}, 3, -EBADMSG},
		{{LMK_PROCPRIO, 100, 1000, 900, 0, 7}, 6, -EBADMSG},
		{{LMK_PROCPRIO, 0, 1000, 900}, 4, -ERANGE},
		{{LMK_PROCPRIO, 100, 1000, -1001}, 4, -ERANGE},
		{{LMK_PROCPRIO, 100, 1000, 0, 2}, 5, -ERANGE},
		{{LMK_PROCREMOVE, 100}, 2, 0},
		{{LMK_PROCREMOVE}, 1, -EBADMSG},
		{{LMK_PROCREMOVE, -3}, 2, -ERANGE},
		{{LMK_PROCPURGE}, 1, 0},
		{{LMK_PROCPURGE, 1}, 2, -EBADMSG},
		{{LMK_GETKILLCNT, 0, 1000}, 3, 0},
		{{LMK_GETKILLCNT, 0}, 2, -EBADMSG},
		{{LMK_SUBSCRIBE, LMK_ASYNC_EVENT_KILL}, 2, 0},
		{{LMK_SUBSCRIBE, 7}, 2, -ERANGE},
		{{LMK_UPDATE_PROPS}, 1, 0},
		{{LMK_PROCS_PRIO, 1, 2, 3, 0, 4, 5, 6, 1}, 9, 0},
		{{LMK_PROCS_PRIO, 1, 2, 3, 0, 4, 5, 6, 1, 7, 8, 9, 0}, 13, 0},
		{{LMK_PROCS_PRIO, 1, 2, 3}, 4, -EBADMSG},
		{{LMK_PROCS_PRIO}, 1, -EBADMSG},
		{{LMK_PROCS_PRIO, 1, 2, 3, 9}, 5, -ERANGE},
		{{LMK_PROCKILL, 1, 2, 3}, 4, -EOPNOTSUPP},
		{{LMK_START_MONITORING}, 1, -EOPNOTSUPP},
		{{LMK_BOOT_COMPLETED}, 1, -EOPNOTSUPP},
		{{99, 1}, 2, -EOPNOTSUPP},
		{{-1}, 1, -EOPNOTSUPP},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned char buf[64];
		struct lmkd_packet p;
		size_t len = pack(buf, t[i].v, t[i].n);
		int r = lmkd_parse(buf, len, &p);

		if (r != t[i].want)
			fail_msg("case %zu (cmd %d, %zu ints): %d, expected %d", i, t[i].v[0], t[i].n,
				 r, t[i].want);
	}
}

static void test_parse_fields_and_lengths(void **state)
{
	int32_t v[] = {LMK_PROCS_PRIO, 10, 1000, 900, 0, 11, 1001, -100, 1};
	unsigned char buf[64];
	struct lmkd_packet p, sentinel;
	size_t len = pack(buf, v, 9);

	(void)state;
	assert_int_equal(lmkd_parse(buf, len, &p), 0);
	assert_int_equal(p.prio.n, 2);
	assert_int_equal(p.prio.recs[1].pid, 11);
	assert_int_equal(p.prio.recs[1].uid, 1001);
	assert_int_equal(p.prio.recs[1].adj, -100);
	assert_int_equal(p.prio.recs[1].type, LMK_PROC_SERVICE);
	/* Not a multiple of 4, empty, too long: refused, output untouched. */
	memset(&sentinel, 0x5a, sizeof(sentinel));
	p = sentinel;
	assert_int_equal(lmkd_parse(buf, len - 1, &p), -EBADMSG);
	assert_int_equal(lmkd_parse(buf, 0, &p), -EBADMSG);
	assert_int_equal(lmkd_parse(buf, 56, &p), -EBADMSG);
	assert_memory_equal(&p, &sentinel, sizeof(p));
}

static void test_encode(void **state)
{
	int32_t vals[3] = {1234, 10001, 5678};
	unsigned char buf[LMKD_PACKET_MAX];
	uint32_t x;

	(void)state;
	assert_int_equal(lmkd_encode(buf, LMK_PROCKILL, vals, 3), 16);
	memcpy(&x, buf, 4);
	assert_int_equal(ntohl(x), LMK_PROCKILL);
	memcpy(&x, buf + 12, 4);
	assert_int_equal(ntohl(x), 5678);
	assert_int_equal(lmkd_encode(buf, 0, vals, 13), 0);
}

/* ---- the server ---- */

struct fixture {
	char dir[64], path[128];
	struct loop *loop;
	struct lmkd *l;
	int proc_fd;
	int reloads;
	size_t n_levels;
	struct lmkd_target levels[LMKD_MAX_TARGETS];
	pid_t kids[8];
	int n_kids;
	struct procfs_scope scope;
};

static uint64_t fake_killcount(void *ctx, int min_adj, int max_adj)
{
	(void)ctx;
	return (uint64_t)(max_adj - min_adj);
}

static int fake_reload(void *ctx)
{
	((struct fixture *)ctx)->reloads++;
	return 0;
}

static int fake_targets(void *ctx, const struct lmkd_target *levels, size_t n)
{
	struct fixture *f = ctx;

	f->n_levels = n;
	memcpy(f->levels, levels, n * sizeof(*levels));
	return 0;
}

static const struct lmkd_ops ops = {fake_killcount, fake_reload, fake_targets};

static int setup_with(void **state, const struct procfs_scope *scope)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lmkd_config cfg = {.mode = 0666, .max_records = 16, .self = getpid()};

	if (scope) {
		f->scope = *scope;
		cfg.scope = &f->scope;
	}

	snprintf(f->dir, sizeof(f->dir), "/tmp/reapd-test-lmkd-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* Other users must reach the socket for the credential tests. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	snprintf(f->path, sizeof(f->path), "%s/lmkd", f->dir);
	f->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cfg.path = f->path;
	cfg.proc_fd = f->proc_fd;
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(lmkd_new(&cfg, f->loop, &ops, f, &f->l), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

/* A v1 scope no process of this machine is in. */
static int setup_scoped(void **state)
{
	static const struct procfs_scope nowhere = {.kind = PROCFS_SCOPE_V1,
						    .rel = "/reapd-test-lmkd-nowhere"};

	return setup_with(state, &nowhere);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	lmkd_free(f->l);
	loop_free(f->loop);
	for (int i = 0; i < f->n_kids; i++) {
		kill(f->kids[i], SIGKILL);
		waitpid(f->kids[i], NULL, 0);
	}
	close(f->proc_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static pid_t kid(struct fixture *f)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	f->kids[f->n_kids++] = pid;
	return pid;
}

static int adj_of(pid_t pid)
{
	char path[64], buf[16] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	fp = fopen(path, "re");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	return atoi(buf);
}

static int conn(struct fixture *f)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	for (int i = 0; i < 3; i++)
		loop_iterate(f->loop, 20);
	return fd;
}

static void spin(struct fixture *f)
{
	for (int i = 0; i < 4; i++)
		loop_iterate(f->loop, 20);
}

static void say(struct fixture *f, int fd, const int32_t *v, size_t n)
{
	unsigned char buf[64];
	size_t len = pack(buf, v, n);

	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	spin(f);
}

/* Receives one reply; returns the number of ints, values in @v. */
static int hear(int fd, int32_t *v)
{
	unsigned char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	for (ssize_t i = 0; i < n / 4; i++) {
		uint32_t x;
		memcpy(&x, buf + 4 * i, 4);
		v[i] = (int32_t)ntohl(x);
	}
	return n < 0 ? -1 : (int)(n / 4);
}

static void test_procprio_records(void **state)
{
	struct fixture *f = *state;
	pid_t a = kid(f), b = kid(f);
	int c1 = conn(f), c2 = conn(f);

	say(f, c1, (int32_t[]){LMK_PROCPRIO, a, 10001, 900}, 4);
	say(f, c1, (int32_t[]){LMK_PROCS_PRIO, b, 10002, 300, 0}, 5);
	assert_int_equal(adj_of(a), 900);
	assert_int_equal(adj_of(b), 300);
	assert_int_equal(lmkd_registered(f->l), 2);
	assert_int_equal(lmkd_record_adj(f->l, a), 900);
	/* Another connection can neither change nor remove what c1 registered. */
	say(f, c2, (int32_t[]){LMK_PROCPRIO, a, 10001, 100}, 4);
	say(f, c2, (int32_t[]){LMK_PROCREMOVE, a}, 2);
	assert_int_equal(adj_of(a), 900);
	assert_int_equal(lmkd_record_adj(f->l, a), 900);
	/* Its owner can. */
	say(f, c1, (int32_t[]){LMK_PROCPRIO, a, 10001, 950}, 4);
	assert_int_equal(adj_of(a), 950);
	say(f, c1, (int32_t[]){LMK_PROCREMOVE, a}, 2);
	assert_int_equal(lmkd_record_adj(f->l, a), -ENOENT);
	/* A registered process that dies takes its record with it (pidfd). */
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	spin(f);
	assert_int_equal(lmkd_registered(f->l), 0);
	close(c1);
	close(c2);
}

static void test_purge_and_close(void **state)
{
	struct fixture *f = *state;
	pid_t a = kid(f), b = kid(f), c = kid(f);
	int c1 = conn(f), c2 = conn(f);

	say(f, c1, (int32_t[]){LMK_PROCPRIO, a, 1, 100}, 4);
	say(f, c1, (int32_t[]){LMK_PROCPRIO, b, 1, 200}, 4);
	say(f, c2, (int32_t[]){LMK_PROCPRIO, c, 1, 300}, 4);
	assert_int_equal(lmkd_registered(f->l), 3);
	say(f, c1, (int32_t[]){LMK_PROCPURGE}, 1);
	assert_int_equal(lmkd_registered(f->l), 1);
	assert_int_equal(lmkd_record_adj(f->l, c), 300);
	close(c2);
	spin(f);
	assert_int_equal(lmkd_registered(f->l), 0);
	close(c1);
}

static void test_fourth_connection(void **state)
{
	struct fixture *f = *state;
	pid_t a = kid(f);
	int c[4], v[4];

	for (int i = 0; i < 3; i++)
		c[i] = conn(f);
	say(f, c[0], (int32_t[]){LMK_PROCPRIO, a, 1, 500}, 4);
	assert_int_equal(lmkd_connections(f->l), 3);
	/* As lmkd: the 4th drops the other three (and their records) and is served. */
	c[3] = conn(f);
	assert_int_equal(lmkd_connections(f->l), 1);
	assert_int_equal(lmkd_registered(f->l), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(recv(c[i], v, sizeof(v), MSG_DONTWAIT), 0);
	say(f, c[3], (int32_t[]){LMK_GETKILLCNT, 100, 900}, 3);
	int32_t r[4];
	assert_int_equal(hear(c[3], r), 2);
	assert_int_equal(r[0], LMK_GETKILLCNT);
	assert_int_equal(r[1], 800);
	for (int i = 0; i < 4; i++)
		close(c[i]);
}

static void test_target_subscribe_props(void **state)
{
	struct fixture *f = *state;
	int c1 = conn(f), c2 = conn(f);
	int32_t r[4];

	say(f, c1, (int32_t[]){LMK_TARGET, 18432, 0, 23040, 100, 27648, 900}, 7);
	assert_int_equal(f->n_levels, 3);
	assert_int_equal(f->levels[2].minfree_pages, 27648);
	assert_int_equal(f->levels[2].adj, 900);
	say(f, c1, (int32_t[]){LMK_SUBSCRIBE, LMK_ASYNC_EVENT_KILL}, 2);
	lmkd_notify_kill(f->l, 4321, 10001, 65536);
	assert_int_equal(hear(c1, r), 4);
	assert_int_equal(r[0], LMK_PROCKILL);
	assert_int_equal(r[1], 4321);
	assert_int_equal(r[2], 10001);
	assert_int_equal(r[3], 65536);
	assert_int_equal(hear(c2, r), -1); /* not subscribed */
	say(f, c2, (int32_t[]){LMK_UPDATE_PROPS}, 1);
	assert_int_equal(hear(c2, r), 2);
	assert_int_equal(r[0], LMK_UPDATE_PROPS);
	assert_int_equal(r[1], 0);
	assert_int_equal(f->reloads, 1);
	close(c1);
	close(c2);
}

static void test_malformed_closes_unknown_ignored(void **state)
{
	struct fixture *f = *state;
	pid_t a = kid(f);
	int c1 = conn(f), v;
	unsigned char odd[7] = {0};

	/* A command reapd does not implement is ignored: the connection stays. */
	say(f, c1, (int32_t[]){LMK_BOOT_COMPLETED}, 1);
	assert_int_equal(lmkd_connections(f->l), 1);
	/* A malformed one closes it and changes nothing. */
	say(f, c1, (int32_t[]){LMK_PROCPRIO, a, 1}, 3);
	assert_int_equal(lmkd_connections(f->l), 0);
	assert_int_equal(adj_of(a), 0);
	assert_int_equal(recv(c1, &v, sizeof(v), 0), 0);
	close(c1);
	c1 = conn(f);
	assert_int_equal(send(c1, odd, sizeof(odd), 0), 7);
	spin(f);
	assert_int_equal(lmkd_connections(f->l), 0);
	close(c1);
	c1 = conn(f);
	say(f, c1, (int32_t[]){LMK_PROCPRIO, a, 1, 2000}, 4);
	assert_int_equal(lmkd_connections(f->l), 0);
	assert_int_equal(lmkd_registered(f->l), 0);
	close(c1);
}

/* Sends a packet from a child that dropped to uid 65534. */
static void send_as_nobody(struct fixture *f, const int32_t *v, size_t n)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char buf[64];
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		int fd;
		size_t len = pack(buf, v, n);

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		strcpy(a.sun_path, f->path);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    send(fd, buf, len, 0) != (ssize_t)len)
			_exit(4);
		/* Wait until the server has read it. */
		pause();
		_exit(0);
	}
	spin(f);
	spin(f);
	/* Still waiting in pause(): it connected and sent; otherwise it exited with 3 or 4. */
	if (waitpid(pid, &status, WNOHANG) != 0)
		fail_msg("the uid 65534 client failed (status %d)", status);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	spin(f);
}

static void test_credentials(void **state)
{
	struct fixture *f = *state;
	pid_t a = kid(f);

	if (getuid() != 0)
		skip();
	/* Not root, not the owner (a is root's): refused, nothing changes. */
	send_as_nobody(f, (int32_t[]){LMK_PROCPRIO, a, 0, 700}, 4);
	assert_int_equal(adj_of(a), 0);
	assert_int_equal(lmkd_registered(f->l), 0);
	send_as_nobody(f, (int32_t[]){LMK_TARGET, 100, 0}, 3);
	assert_int_equal(f->n_levels, 0);
}

/* Another user's 4th connection cannot cut off root's process manager: it is the one refused. */
static void test_fourth_connection_of_another_user(void **state)
{
	struct fixture *f = *state;
	pid_t a = kid(f);
	int c[3];

	if (getuid() != 0)
		skip();
	for (int i = 0; i < 3; i++)
		c[i] = conn(f);
	say(f, c[0], (int32_t[]){LMK_PROCPRIO, a, 1, 500}, 4);
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		char b[8];
		int fd;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		strcpy(sa.sun_path, f->path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(4);
		/* Closed by the server: recv() sees the end. */
		_exit(recv(fd, b, sizeof(b), 0) == 0 ? 0 : 5);
	}
	for (int i = 0; i < 750 && waitpid(pid, &status, WNOHANG) == 0; i++)
		spin(f);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the uid 65534 connection was left open");
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(lmkd_connections(f->l), 3);
	assert_int_equal(lmkd_registered(f->l), 1);
	for (int i = 0; i < 3; i++) {
		int32_t r[4];

		say(f, c[i], (int32_t[]){LMK_GETKILLCNT, 0, 10}, 3);
		assert_int_equal(hear(c[i], r), 2);
		close(c[i]);
	}
}

/* LMK_PROCPRIO acts inside the scope only: a process elsewhere keeps its adj and is not registered. */
static void test_outside_scope_refused(void **state)
{
	struct fixture *f = *state;
	pid_t a = kid(f);
	int c1 = conn(f);

	if (getuid() != 0)
		skip();
	say(f, c1, (int32_t[]){LMK_PROCPRIO, a, 0, 700}, 4);
	say(f, c1, (int32_t[]){LMK_PROCS_PRIO, a, 0, 800, 0}, 5);
	assert_int_equal(adj_of(a), 0);
	assert_int_equal(lmkd_registered(f->l), 0);
	assert_int_equal(lmkd_connections(f->l), 1); /* refused, not dropped: as lmkd */
	close(c1);
}

/* Never pid 1 nor reapd itself, even for root on a system scope. */
static void test_init_and_self_refused(void **state)
{
	struct fixture *f = *state;
	int c1 = conn(f);
	/* Their current values: were the rule broken, nothing would change on this machine. */
	int init_adj = adj_of(1), self_adj = adj_of(getpid());

	say(f, c1, (int32_t[]){LMK_PROCPRIO, 1, 0, init_adj}, 4);
	say(f, c1, (int32_t[]){LMK_PROCPRIO, getpid(), 0, self_adj}, 4);
	assert_int_equal(lmkd_registered(f->l), 0);
	assert_int_equal(lmkd_record_adj(f->l, 1), -ENOENT);
	close(c1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_fields_and_lengths),
		cmocka_unit_test(test_encode),
		cmocka_unit_test_setup_teardown(test_procprio_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fourth_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_subscribe_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_closes_unknown_ignored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fourth_connection_of_another_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outside_scope_refused, setup_scoped, teardown),
		cmocka_unit_test_setup_teardown(test_init_and_self_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
