/* SPDX-License-Identifier: MIT */
/* Metrics: kill counts by adj range, the history ring, and the Prometheus text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static struct kill_event event(pid_t pid, int adj, const char *reason)
{
	return (struct kill_event){
		.pid = pid, .comm = "victim", .oom_score_adj = adj, .reason = reason,
		.scope = "system", .exited = true, .kill_to_exit_usec = 3000, .reap_usec = -1,
	};
}

static void test_killcount_and_dry_run(void **state)
{
	struct metrics *m;
	struct kill_event dry = event(9, 900, "low_mem");

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	metrics_kill(m, &(struct kill_event){0, .pid = 1, .comm = "a", .oom_score_adj = 900,
					      .reason = "low_mem", .scope = "s",
					      .kill_to_exit_usec = -1, .reap_usec = -1});
	struct kill_event e2 = event(2, 0, "psi_full"), e3 = event(3, -500, "minfree");
	metrics_kill(m, &e2);
	metrics_kill(m, &e3);
	dry.dry_run = true;
	metrics_kill(m, &dry);
	assert_int_equal(metrics_killcount(m, -1000, 1000), 3);
	assert_int_equal(metrics_killcount(m, 0, 1000), 2);
	assert_int_equal(metrics_killcount(m, 900, 900), 1);
	assert_int_equal(metrics_killcount(m, 901, 1000), 0);
	assert_int_equal(metrics_killcount(m, -5000, 5000), 3); /* clamped */
	assert_int_equal(metrics_history_len(m), 4);            /* dry runs are history too */
	metrics_free(m);
}

static void test_history_ring(void **state)
{
	struct metrics *m;
	char comm[16];

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	for (int i = 0; i < METRICS_HISTORY + 6; i++) {
		struct kill_event e = event(1000 + i, 0, "low_mem");

		snprintf(comm, sizeof(comm), "p%d", i);
		e.comm = comm; /* copied: the caller's buffer changes under it */
		metrics_kill(m, &e);
	}
	assert_int_equal(metrics_history_len(m), METRICS_HISTORY);
	assert_int_equal(metrics_history_at(m, 0)->pid, 1006);
	assert_string_equal(metrics_history_at(m, 0)->comm, "p6");
	assert_int_equal(metrics_history_at(m, METRICS_HISTORY - 1)->pid,
			 1000 + METRICS_HISTORY + 5);
	metrics_free(m);
}

/* Fails unless every one of @lines is somewhere in @buf. */
static void expect_lines(const char *buf, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strstr(buf, lines[i]))
			fail_msg("metrics lack: %s", lines[i]);
}

static void test_prometheus_text(void **state)
{
	struct killer_stats ks = {.kills = 2, .reaped = 1, .timeouts = 1, .freed_kib = 1024,
				  .reaped_kib = 512};
	struct metrics_gauges g = {.total_kib = 2048, .avail_kib = 1024, .pending_victims = 1,
				   .killer = &ks};
	struct metrics *m;
	char buf[32768], small[64];
	struct kill_event e = event(5, 100, "low_mem");

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	e.reap_usec = 700;
	metrics_kill(m, &e);
	metrics_pressure_event(m, "psi");
	metrics_pressure_event(m, "psi");
	metrics_round(m, 250);
	assert_true(metrics_format(m, &g, buf, sizeof(buf)) > 0);
	static const char *const lines[] = {
		"# TYPE reapd_kills_total counter\n",
		"reapd_kills_total{reason=\"low_mem\"} 1\n",
		"reapd_kills_total{reason=\"psi_full\"} 0\n",
		"reapd_kills_total{reason=\"minfree\"} 0\n",
		"reapd_reaped_total 1\n",
		"reapd_kill_timeouts_total 1\n",
		"reapd_freed_bytes_total 1048576\n",
		"reapd_reaped_bytes_total 524288\n",
		"reapd_pressure_events_total{source=\"psi\"} 2\n",
		"reapd_rounds_total 1\n",
		"# TYPE reapd_kill_to_exit_seconds histogram\n",
		/* 3 ms: not in the 2.5 ms bucket, in the 5 ms one and all above. */
		"reapd_kill_to_exit_seconds_bucket{le=\"0.0025\"} 0\n",
		"reapd_kill_to_exit_seconds_bucket{le=\"0.005\"} 1\n",
		"reapd_kill_to_exit_seconds_bucket{le=\"+Inf\"} 1\n",
		"reapd_kill_to_exit_seconds_sum 0.003000\n",
		"reapd_reap_seconds_bucket{le=\"0.001\"} 1\n",
		"reapd_scan_seconds_bucket{le=\"0.0005\"} 1\n",
		"reapd_memory_available_bytes 1048576\n",
		"reapd_pending_victims 1\n",
	};
	expect_lines(buf, lines, sizeof(lines) / sizeof(lines[0]));
	assert_int_equal(metrics_format(m, &g, small, sizeof(small)), -ENOBUFS);
	/* No thrashing figures where they are not measured (cgroup v1)... */
	assert_null(strstr(buf, "reapd_thrashing_percent"));
	/* ...and the figure beside its limit where they are. */
	struct thrash t = {.valid = true, .pct = 130, .cur_limit_pct = 90, .limit_pct = 100,
			   .direct_reclaim = true};
	g.thrash = &t;
	assert_true(metrics_format(m, &g, buf, sizeof(buf)) > 0);
	static const char *const thrash_lines[] = {
		"reapd_kills_total{reason=\"thrashing\"} 0\n",
		"# TYPE reapd_thrashing_percent gauge\n",
		"reapd_thrashing_percent 130\n",
		"reapd_thrashing_limit_percent 90\n",
		"reapd_direct_reclaim 1\n",
	};
	expect_lines(buf, thrash_lines, sizeof(thrash_lines) / sizeof(thrash_lines[0]));
	t.valid = false;
	assert_true(metrics_format(m, &g, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "reapd_thrashing_percent"));
	/* Swap as counted; zram's RAM only with zram. */
	assert_null(strstr(buf, "reapd_zram_ram_bytes"));
	g.swap_free_kib = 2048, g.swap_counted_kib = 1024, g.swap_util_pct = 35;
	g.have_zram = true, g.zram_ram_kib = 512;
	assert_true(metrics_format(m, &g, buf, sizeof(buf)) > 0);
	static const char *const swap_lines[] = {
		"reapd_swap_free_bytes 2097152\n",
		"# TYPE reapd_swap_counted_free_bytes gauge\n",
		"reapd_swap_counted_free_bytes 1048576\n",
		"reapd_swap_util_percent 35\n",
		"reapd_zram_ram_bytes 524288\n",
	};
	expect_lines(buf, swap_lines, sizeof(swap_lines) / sizeof(swap_lines[0]));
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killcount_and_dry_run),
		cmocka_unit_test(test_history_ring),
		cmocka_unit_test(test_prometheus_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
