/* SPDX-License-Identifier: MIT */
/*
 * ctl_answer with fake handles: the replies that need no kernel (killcount,
 * history, reload, prio refusals before /proc is read) and the lmkd hooks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_answer.h"

struct fixture {
	struct config cfg;
	struct decide_params params;
	struct procfs_scope scope;
	struct metrics *metrics;
	struct ctl_answer a;
	int reloads;
	int reload_result;
	char buf[4096];
	char err[256];
	struct jsonw w;
};

static int fake_reload(void *ctx, char *err, size_t err_len)
{
	struct fixture *f = ctx;

	f->reloads++;
	if (f->reload_result < 0)
		snprintf(err, err_len, "config: line 3: bad value");
	return f->reload_result;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	config_init(&f.cfg);
	if (metrics_new(&f.metrics) < 0)
		return -1;
	f.a = (struct ctl_answer){
		.cfg = &f.cfg,
		.params = &f.params,
		.metrics = f.metrics,
		.proc_fd = -1,
		.scope = &f.scope,
		.self = 4242,
		.reload = fake_reload,
		.reload_ctx = &f,
	};
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	metrics_free(f->metrics);
	config_free(&f->cfg);
	return 0;
}

static void kill_at(struct fixture *f, pid_t pid, int adj)
{
	metrics_kill(f->metrics, &(struct kill_event){.pid = pid, .comm = "victim",
						      .oom_score_adj = adj, .reason = "low_mem",
						      .scope = "system", .exited = true,
						      .kill_to_exit_usec = -1, .reap_usec = -1});
}

/* Answers @req as @uid; returns the result, the reply text in f->buf. */
static int ask(struct fixture *f, enum ctl_cmd cmd, long a0, long a1, uid_t uid)
{
	struct ctl_request req = {.cmd = cmd, .arg = {a0, a1}};
	struct ucred peer = {.pid = 99, .uid = uid, .gid = uid};
	int r;

	f->err[0] = '\0';
	jsonw_init(&f->w, f->buf, sizeof(f->buf));
	jsonw_object_begin(&f->w);
	r = ctl_answer(&f->a, &req, &peer, &f->w, f->err, sizeof(f->err));
	jsonw_object_end(&f->w);
	assert_true(jsonw_finish(&f->w) >= 0);
	return r;
}

static void test_killcount(void **state)
{
	struct fixture *f = *state;

	kill_at(f, 10, 0);
	kill_at(f, 11, 500);
	kill_at(f, 12, 900);
	assert_int_equal(ask(f, CTL_KILLCOUNT, 0, 500, 1000), 0);
	assert_non_null(strstr(f->buf, "\"count\":2"));
	assert_non_null(strstr(f->buf, "\"min_adj\":0"));
	assert_non_null(strstr(f->buf, "\"max_adj\":500"));
	assert_int_equal(ctl_answer_lmkd_ops.killcount(&f->a, 600, 1000), 1);
}

static void test_history_keeps_the_last(void **state)
{
	struct fixture *f = *state;

	kill_at(f, 10, 0);
	kill_at(f, 11, 500);
	kill_at(f, 12, 900);
	assert_int_equal(ask(f, CTL_HISTORY, 2, 0, 1000), 0);
	assert_null(strstr(f->buf, "\"pid\":10"));
	assert_non_null(strstr(f->buf, "\"pid\":11"));
	assert_non_null(strstr(f->buf, "\"pid\":12"));
}

static void test_history_empty(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ask(f, CTL_HISTORY, 10, 0, 0), 0);
	assert_non_null(strstr(f->buf, "\"kills\":[]"));
}

static void test_reload_only_root(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ask(f, CTL_RELOAD, 0, 0, 1000), -EPERM);
	assert_int_equal(f->reloads, 0);
	assert_non_null(strstr(f->err, "only root"));
}

static void test_reload_calls_back(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ask(f, CTL_RELOAD, 0, 0, 0), 0);
	assert_int_equal(f->reloads, 1);
	assert_non_null(strstr(f->buf, "\"reloaded\":true"));
	assert_non_null(strstr(f->buf, "\"config\":null"));
	assert_int_equal(ctl_answer_lmkd_ops.reload(&f->a), 0);
	assert_int_equal(f->reloads, 2);
}

static void test_reload_failure_passes_the_reason(void **state)
{
	struct fixture *f = *state;

	f->reload_result = -EINVAL;
	assert_int_equal(ask(f, CTL_RELOAD, 0, 0, 0), -EINVAL);
	assert_string_equal(f->err, "config: line 3: bad value");
	assert_null(strstr(f->buf, "reloaded"));
}

/* pid 1 and reapd itself are refused before /proc is looked at (proc_fd is -1 here). */
static void test_prio_refuses_init_and_self(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ask(f, CTL_PRIO, 1, 500, 0), -EBUSY);
	assert_true(f->err[0] != '\0');
	assert_int_equal(ask(f, CTL_PRIO, 4242, 500, 0), -EBUSY);
	assert_int_equal(ask(f, CTL_PRIO, 0, 500, 0), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_killcount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_keeps_the_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_only_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_calls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_failure_passes_the_reason, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prio_refuses_init_and_self, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
