/* SPDX-License-Identifier: MIT */
/*
 * benchtool: the measuring parts of bench/run that need precise timing.
 *
 *   benchtool kill --pid PID --usage FILE --mode kill|reap [--timeout-ms N] [--cpu N]
 *                  [--no-boost]
 *       Kills PID (plain SIGKILL through a pidfd, or reapd's reaper module:
 *       SIGKILL and process_mrelease from a worker thread, then the boost, as
 *       reapd does it unless --no-boost, and a thaw) and
 *       follows its cgroup's usage file every 100 us: prints one JSON line
 *       with the times from the signal to exit and to memory back.
 *   benchtool scan [--proc DIR]
 *       Times reading every process's oom_score_adj (the floor: readdir and
 *       one small read) and oom_score_adj + statm + stat (a naive scan).
 *   benchtool sleepers N
 *       Forks N sleeping children, prints "ready", sleeps until killed.
 *   benchtool ping --socket PATH --until FILE
 *       Sends "status" on reapd's control socket back to back (at real-time
 *       priority 4, above reapd's loop (3) and its threads (2), so the
 *       client's own delays stay out of the figures) until FILE exists;
 *       prints the reply latencies.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "parse.h"
#include "reaper.h"
#include "sys.h"

#define POLL_NSEC 100000L

struct kill_opts {
	pid_t pid;
	const char *usage;
	bool reap;
	bool no_boost;
	unsigned timeout_ms;
	int cpu;
};

static uint64_t read_kib(int fd)
{
	char buf[32];
	uint64_t v = 0;

	if (pread_str(fd, buf, sizeof(buf)) < 0 || parse_cgroup_value(buf, &v) < 0)
		return 0;
	return v / 1024;
}

static uint64_t rss_anon_kib(pid_t pid)
{
	char path[64], buf[8192];
	struct proc_status st;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_at(AT_FDCWD, path, buf, sizeof(buf)) < 0 || parse_proc_status(buf, &st) < 0)
		return 0;
	return st.rss_anon_kib;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((size_t)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		perror("benchtool: sched_setaffinity");
}

static void print_ms(const char *key, int64_t usec, bool comma)
{
	if (usec < 0)
		printf("\"%s\":null%s", key, comma ? "," : "");
	else
		printf("\"%s\":%.3f%s", key, (double)usec / 1000.0, comma ? "," : "");
}

static int run_kill(const struct kill_opts *o)
{
	struct cgroup_roots roots = {0};
	struct boost_env env;
	struct reaper *reaper = NULL;
	struct reaper_result res = {0};
	int pidfd, usage_fd, proc_fd;
	uint64_t before, anon, want, t0, deadline;
	int64_t t_exit = -1, t_mem = -1;
	bool have_result = !o->reap;

	/* reapd's CPUs are those benchtool may use before it pins itself. */
	if (boost_env_open("/sys/fs/cgroup", &env) < 0) {
		perror("benchtool: sched_getaffinity");
		return 1;
	}
	pin(o->cpu); /* before the reaper starts: its worker inherits the CPU */
	pidfd = sys_pidfd_open(o->pid);
	usage_fd = open(o->usage, O_RDONLY | O_CLOEXEC);
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pidfd < 0 || usage_fd < 0 || proc_fd < 0) {
		fprintf(stderr, "benchtool: cannot open pid %d or %s\n", (int)o->pid, o->usage);
		return 1;
	}
	before = read_kib(usage_fd);
	anon = rss_anon_kib(o->pid);
	want = before > anon * 9 / 10 ? before - anon * 9 / 10 : 0;
	if (o->reap) {
		struct reaper_config rc = {.threads = 1, .queue_capacity = 4, .reap = true,
					   .boost = !o->no_boost, .proc_fd = proc_fd,
					   .roots = &roots, .boost_env = &env};

		cgroup_roots_find("/sys/fs/cgroup", &roots);
		if (reaper_new(&rc, &reaper) < 0)
			return 1;
		while (reaper_idle(reaper) == 0)
			sched_yield();
	}

	t0 = now_usec();
	if (o->reap) {
		struct reaper_request req = {.pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3),
					     .pid = o->pid, .anon_kib = anon};
		reaper_submit(reaper, &req);
	} else {
		sys_pidfd_send_signal(pidfd, SIGKILL);
	}
	deadline = t0 + (uint64_t)o->timeout_ms * 1000;
	while ((t_exit < 0 || t_mem < 0 || !have_result) && now_usec() < deadline) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		struct timespec ts = {0, POLL_NSEC};

		if (t_mem < 0 && read_kib(usage_fd) <= want)
			t_mem = (int64_t)(now_usec() - t0);
		if (t_exit < 0 && poll(&p, 1, 0) == 1)
			t_exit = (int64_t)(now_usec() - t0);
		if (!have_result && reaper_read_result(reaper, &res) == 0)
			have_result = true;
		nanosleep(&ts, NULL);
	}

	printf("{\"mode\":\"%s\",\"anon_kib\":%llu,\"usage_before_kib\":%llu,", o->reap ? "reap" : "kill",
	       (unsigned long long)anon, (unsigned long long)before);
	print_ms("signal_to_exit_ms", t_exit, true);
	print_ms("signal_to_memory_back_ms", t_mem, true);
	print_ms("reap_ms", res.reaped ? (int64_t)res.reap_usec : -1, true);
	printf("\"reaped\":%s,\"reaped_kib\":%llu,\"thawed\":%s,", res.reaped ? "true" : "false",
	       (unsigned long long)res.reaped_kib, res.thawed ? "true" : "false");
	printf("\"boosted\":%s,\"boosted_threads\":%u,\"cpu_moved\":%s,\"timeout_ms\":%u}\n",
	       res.boosted ? "true" : "false", res.boost_threads, res.cpu_moved ? "true" : "false",
	       o->timeout_ms);
	fflush(stdout);
	reaper_free(reaper);
	cgroup_roots_free(&roots);
	boost_env_close(&env);
	return 0;
}

static int kill_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pid", required_argument, NULL, 'p'},	 {"usage", required_argument, NULL, 'u'},
		{"mode", required_argument, NULL, 'm'},	 {"timeout-ms", required_argument, NULL, 't'},
		{"cpu", required_argument, NULL, 'c'},	 {"no-boost", no_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	struct kill_opts o = {.timeout_ms = 10000};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o.pid = atoi(optarg);
			break;
		case 'u':
			o.usage = optarg;
			break;
		case 'm':
			o.reap = strcmp(optarg, "reap") == 0;
			break;
		case 't':
			o.timeout_ms = (unsigned)atoi(optarg);
			break;
		case 'c':
			o.cpu = atoi(optarg);
			break;
		case 'b':
			o.no_boost = true;
			break;
		default:
			return 2;
		}
	}
	if (o.pid <= 0 || !o.usage) {
		fprintf(stderr, "usage: benchtool kill --pid PID --usage FILE --mode kill|reap "
				"[--no-boost]\n");
		return 2;
	}
	return run_kill(&o);
}

/* Reads @name of every pid under @proc; returns the number of processes and the µs taken. */
static size_t scan_pass(const char *proc, const char *const *names, size_t n_names,
			double *ret_usec)
{
	char buf[4096], path[64], dents[32768];
	int dfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t t0 = now_usec();
	size_t count = 0;
	ssize_t n;

	while ((n = sys_getdents64(dfd, dents, sizeof(dents))) > 0) {
		for (ssize_t off = 0; off < n;) {
			unsigned short reclen;
			const char *name = dents + off + 19; /* d_ino, d_off, d_reclen, d_type */
			int pid;

			memcpy(&reclen, dents + off + 16, sizeof(reclen));
			off += reclen;
			if ((pid = parse_pid(name)) <= 0)
				continue;
			count++;
			for (size_t i = 0; i < n_names; i++) {
				snprintf(path, sizeof(path), "%d/%s", pid, names[i]);
				(void)read_at(dfd, path, buf, sizeof(buf));
			}
		}
	}
	*ret_usec = (double)(now_usec() - t0);
	close(dfd);
	return count;
}

static int scan_main(int argc, char **argv)
{
	static const char *const floor_files[] = {"oom_score_adj"};
	static const char *const naive_files[] = {"oom_score_adj", "statm", "stat"};
	const char *proc = argc > 2 && strcmp(argv[1], "--proc") == 0 ? argv[2] : "/proc";
	double floor_us = 0, naive_us = 0, us;
	size_t n = 0;
	const int reps = 5;

	/* Best of five: the floor is what the machine can do, not what it did once. */
	for (int i = 0; i < reps; i++) {
		n = scan_pass(proc, floor_files, 1, &us);
		floor_us = i == 0 || us < floor_us ? us : floor_us;
		n = scan_pass(proc, naive_files, 3, &us);
		naive_us = i == 0 || us < naive_us ? us : naive_us;
	}
	printf("{\"processes\":%zu,\"floor_us_per_process\":%.3f,\"naive_us_per_process\":%.3f}\n",
	       n, n ? floor_us / (double)n : 0, n ? naive_us / (double)n : 0);
	return 0;
}

static int sleepers_main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("benchtool: fork");
			return 1;
		}
		if (pid == 0) {
			for (;;)
				pause();
		}
	}
	printf("ready %ld\n", n);
	fflush(stdout);
	for (;;)
		pause();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int ping_main(int argc, char **argv)
{
	const char *path = NULL, *until = NULL;
	struct sched_param sp = {.sched_priority = 4};
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t n = 0, cap = 1 << 20;
	uint64_t *lat = malloc(cap * sizeof(*lat));
	char reply[65536];
	int fd;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--until") == 0)
			until = argv[i + 1];
	}
	if (!path || !until || !lat || strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: benchtool ping --socket PATH --until FILE\n");
		return 2;
	}
	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
		perror("benchtool: SCHED_FIFO");
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("benchtool: connect");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (n < cap && access(until, F_OK) < 0) {
		uint64_t t0 = now_usec();

		if (send(fd, "status", 6, 0) != 6 || recv(fd, reply, sizeof(reply), 0) <= 0)
			break;
		lat[n++] = now_usec() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("{\"requests\":%zu,\"median_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
	       "\"max_ms\":%.3f}\n",
	       n, n ? (double)lat[n / 2] / 1000 : 0, n ? (double)lat[n * 99 / 100] / 1000 : 0,
	       n ? (double)lat[n * 999 / 1000] / 1000 : 0, n ? (double)lat[n - 1] / 1000 : 0);
	free(lat);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "kill") == 0)
		return kill_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "scan") == 0)
		return scan_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "sleepers") == 0)
		return sleepers_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "ping") == 0)
		return ping_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: benchtool kill|scan|sleepers|ping ...\n");
	return 2;
}
