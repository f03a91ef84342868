/* SPDX-License-Identifier: MIT */
/*
 * memhog: a memory load generator for reapd's tests, demo and benchmarks.
 *
 * Allocates anonymous private memory, touching every page so it is really
 * backed, optionally paced to a rate, then holds it (or keeps growing) until
 * a signal ends it.  SIGTERM and SIGINT exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)	/* PMD size, so MADV_HUGEPAGE can fault huge pages */
#define SLAB_BYTES ((size_t)64 << 20)	/* address space reserved per mmap */
#define TOUCH_STRIDE 4096
#define MAX_MIB ((uint64_t)1 << 30)	/* 1 PiB: keeps byte counts far from overflow */
#define MAX_RATE 1e6
#define ENOMEM_RETRY_NS 10000000L
#define NAME_MAX_LEN 15
#define MAX_THREADS 4096
#define MAX_SLABS 4096	/* slabs of the initial --size remembered for --threads */

struct opts {
	uint64_t size_mib;
	uint64_t max_mib;	/* 0 = unlimited */
	uint64_t file_mib;
	const char *shm_path;	/* map this file MAP_SHARED (tmpfs: shared memory) */
	uint64_t shm_mib;
	unsigned threads;	/* threads in all, each touching its share of --size once */
	unsigned children;	/* forked after allocating: they share it copy-on-write */
	uint64_t child_mib;	/* each child then allocates this much of its own */
	bool respawn;		/* fork a new child whenever one dies */
	double rate;		/* MiB/s, 0 = as fast as possible */
	int adj;
	bool have_adj;
	bool grow;
	bool reread;	/* --reread: read the --file-mib file over and over once ready */
	bool thp;
	bool quiet;
	const char *name;
	unsigned random_pct;	/* of each page written with random bytes (zram cannot compress it) */
};

/* The part of the current slab not yet touched. */
struct arena {
	char *cur;
	size_t left;
	uint64_t mib;
	bool thp;
	size_t random_bytes;	/* per page; 0: one byte written */
	char *slabs[MAX_SLABS];	/* where each slab starts, for --threads */
	size_t slab_mib[MAX_SLABS];
	size_t n_slabs;
	bool recorded;		/* the current slab is the last of slabs[] */
};

static void usage(FILE *f)
{
	fputs("usage: memhog [OPTIONS]\n"
	      "  -s, --size MIB      allocate this many MiB at start (default 0)\n"
	      "  -r, --rate MIBPS    allocation rate in MiB per second, 0 = as fast as possible (default 0)\n"
	      "  -g, --grow          after the initial size, keep allocating at --rate until killed\n"
	      "  -m, --max MIB       with --grow, stop growing once this many MiB are allocated in total (then hold)\n"
	      "  -a, --adj N         write N (-1000..1000) to /proc/self/oom_score_adj before allocating\n"
	      "  -n, --name NAME     set the process name (prctl PR_SET_NAME, 15 chars max) before allocating\n"
	      "  -t, --thp           madvise(MADV_HUGEPAGE) on allocations (fast faulting)\n"
	      "  -z, --random PCT    fill PCT% of every page with random bytes, so that a\n"
	      "                      compressing swap (zram) keeps about PCT% of it\n"
	      "                      (default 0: one byte per page, compressed to nothing)\n"
	      "  -f, --file-mib MIB  also write and read this many MiB of an unlinked temp file\n"
	      "                      ($TMPDIR, default /var/tmp) to fill page cache\n"
	      "  -F, --reread        once ready, read the --file-mib file over and over: a file\n"
	      "                      working set larger than the memory it has thrashes\n"
	      "  -S, --shm PATH:MIB  create (or open) PATH, size it to MIB and map it shared,\n"
	      "                      touching every page: on tmpfs (/dev/shm) this is shared\n"
	      "                      memory, which outlives the process unless it is the last user\n"
	      "  -c, --children N    once ready, fork N children that hold the same memory\n"
	      "                      copy-on-write (they only read it) and the same mapping\n"
	      "  -C, --child-size MIB  each child allocates MIB of its own once forked\n"
	      "  -R, --respawn       fork a new child whenever one dies (fork churn)\n"
	      "  -T, --threads N     once --size is touched, start N-1 more threads that each\n"
	      "                      touch their share of it once, then sleep (N in all)\n"
	      "  -q, --quiet         print nothing\n"
	      "  -h, --help          show this help\n"
	      "Prints 'memhog <pid> child <pid>' per child, 'memhog <pid> ready <MiB>'\n"
	      "once --size is touched, and with --max 'memhog <pid> max <MiB>' once\n"
	      "reached.  SIGTERM/SIGINT exit 0.\n",
	      f);
}

static _Noreturn void bad_value(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "memhog: invalid value for %s: '%s' (%s)\n", opt, val, why);
	exit(2);
}

static uint64_t parse_mib(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0)
		bad_value(opt, s, "expected a non-negative integer");
	if (v > MAX_MIB)
		bad_value(opt, s, "too large");
	return (uint64_t)v;
}

static double parse_rate(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0.0 && v <= MAX_RATE))
		bad_value(opt, s, "expected a number of MiB/s from 0 to 1000000");
	return v;
}

static int parse_adj(const char *opt, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < -1000 || v > 1000)
		bad_value(opt, s, "expected an integer from -1000 to 1000");
	return (int)v;
}

static unsigned parse_pct(const char *opt, const char *s)
{
	uint64_t v = parse_mib(opt, s);

	if (v > 100)
		bad_value(opt, s, "expected a percentage from 0 to 100");
	return (unsigned)v;
}

/* PATH:MIB, split at the last ':'. */
static void parse_shm(char *arg, struct opts *o)
{
	char *colon = strrchr(arg, ':');

	if (!colon || colon == arg)
		bad_value("--shm", arg, "expected PATH:MIB");
	*colon = '\0';
	o->shm_path = arg;
	o->shm_mib = parse_mib("--shm", colon + 1);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"size", required_argument, NULL, 's'},
		{"rate", required_argument, NULL, 'r'},
		{"grow", no_argument, NULL, 'g'},
		{"reread", no_argument, NULL, 'F'},
		{"max", required_argument, NULL, 'm'},
		{"adj", required_argument, NULL, 'a'},
		{"name", required_argument, NULL, 'n'},
		{"thp", no_argument, NULL, 't'},
		{"random", required_argument, NULL, 'z'},
		{"file-mib", required_argument, NULL, 'f'},
		{"shm", required_argument, NULL, 'S'},
		{"children", required_argument, NULL, 'c'},
		{"child-size", required_argument, NULL, 'C'},
		{"respawn", no_argument, NULL, 'R'},
		{"threads", required_argument, NULL, 'T'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char maxs[32];
	int c;

	while ((c = getopt_long(argc, argv, "s:r:gm:a:n:tz:f:FS:c:C:RT:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->size_mib = parse_mib("--size", optarg); break;
		case 'r': o->rate = parse_rate("--rate", optarg); break;
		case 'g': o->grow = true; break;
		case 'F': o->reread = true; break;
		case 'm': o->max_mib = parse_mib("--max", optarg); break;
		case 'a': o->adj = parse_adj("--adj", optarg); o->have_adj = true; break;
		case 'n': o->name = optarg; break;
		case 't': o->thp = true; break;
		case 'z': o->random_pct = parse_pct("--random", optarg); break;
		case 'f': o->file_mib = parse_mib("--file-mib", optarg); break;
		case 'S': parse_shm(optarg, o); break;
		case 'c': o->children = (unsigned)parse_mib("--children", optarg); break;
		case 'C': o->child_mib = parse_mib("--child-size", optarg); break;
		case 'R': o->respawn = true; break;
		case 'T':
			o->threads = (unsigned)parse_mib("--threads", optarg);
			if (o->threads < 1 || o->threads > MAX_THREADS)
				bad_value("--threads", optarg, "expected 1 to 4096");
			break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: exit(2);	/* getopt_long already named the option */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memhog: unexpected argument '%s'\n", argv[optind]);
		exit(2);
	}
	if (o->name && (o->name[0] == '\0' || strlen(o->name) > NAME_MAX_LEN))
		bad_value("--name", o->name, "must be 1 to 15 characters");
	snprintf(maxs, sizeof(maxs), "%" PRIu64, o->max_mib);
	if (o->max_mib && !o->grow)
		bad_value("--max", maxs, "only meaningful with --grow");
	if (o->reread && (!o->file_mib || o->grow)) {
		fprintf(stderr, "memhog: --reread needs --file-mib and no --grow\n");
		exit(2);
	}
	if (o->max_mib && o->max_mib < o->size_mib)
		bad_value("--max", maxs, "smaller than --size");
}

static _Noreturn void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A test may close its end of the pipe after reading the ready line. */
	signal(SIGPIPE, SIG_IGN);
}

static void set_adj(int adj)
{
	char buf[16];
	int fd, len;
	ssize_t n = -1;

	len = snprintf(buf, sizeof(buf), "%d\n", adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = write(fd, buf, (size_t)len);
		if (close(fd) != 0)
			n = -1;
	}
	if (n != len) {
		fprintf(stderr, "memhog: cannot write %d to /proc/self/oom_score_adj: %s\n",
			adj, strerror(errno));
		exit(1);
	}
}

static void set_name(const char *name)
{
	if (prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL) != 0) {
		fprintf(stderr, "memhog: cannot set process name '%s': %s\n", name, strerror(errno));
		exit(1);
	}
}

static _Noreturn void file_fail(const char *what, const char *path)
{
	fprintf(stderr, "memhog: cannot %s temp file %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/*
 * Write then read back an unlinked temp file; its clean pages stay cached
 * while we live.  Returns the file, kept open: closing it would drop the cache.
 */
static int fill_page_cache(uint64_t mib)
{
	static char buf[64 * 1024];
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	uint64_t total = mib * MIB, done;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/memhog.XXXXXX", dir && *dir ? dir : "/var/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		file_fail("create", path);
	unlink(path);
	memset(buf, 0x5a, sizeof(buf));
	for (done = 0; done < total; done += (uint64_t)n) {
		n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			file_fail("write", path);
	}
	if (fsync(fd) != 0)	/* clean pages are reclaimable, like real cache */
		file_fail("sync", path);
	for (done = 0; done < total; done += (uint64_t)n) {
		n = pread(fd, buf, sizeof(buf), (off_t)done);
		if (n == 0)
			errno = EIO;	/* the file cannot be shorter than what we wrote */
		if (n <= 0)
			file_fail("read", path);
	}
	return fd;
}

/* --reread: reads the whole file again and again, until a signal ends us. */
static void reread_forever(int fd, uint64_t mib)
{
	static char buf[1024 * 1024];
	uint64_t total = mib * MIB;

	for (;;)
		for (uint64_t done = 0; done < total;) {
			ssize_t n = pread(fd, buf, sizeof(buf), (off_t)done);

			if (n <= 0)
				file_fail("read", "the --file-mib file");
			done += (uint64_t)n;
		}
}

struct arena;
static void fill(struct arena *a, uint64_t target, double rate);

/* Maps @path shared, sized to @mib, and writes every page (tmpfs: it becomes shmem). */
static void map_shared_file(const char *path, uint64_t mib)
{
	size_t len = (size_t)(mib * MIB);
	volatile char *p;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		file_fail("open", path);
	if (ftruncate(fd, (off_t)len) != 0)
		file_fail("size", path);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		file_fail("map", path);
	close(fd);
	for (size_t off = 0; off < len; off += TOUCH_STRIDE)
		p[off] = 1;
}

/*
 * Forks one child: it holds the parent's pages copy-on-write (it reads,
 * never writes them) and allocates --child-size of its own.  Returns its pid.
 */
static pid_t fork_child(const struct opts *o)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct arena own;

		memset(&own, 0, sizeof(own));
		own.thp = o->thp;
		own.random_bytes = (size_t)o->random_pct * TOUCH_STRIDE / 100;
		fill(&own, o->child_mib, 0.0);
		for (;;)
			pause();
	}
	return pid;
}

static void fork_children(const struct opts *o)
{
	for (unsigned i = 0; i < o->children; i++) {
		pid_t pid = fork_child(o);

		if (pid < 0) {
			fprintf(stderr, "memhog: cannot fork: %s\n", strerror(errno));
			exit(1);
		}
		if (!o->quiet) {
			printf("memhog %ld child %ld\n", (long)getpid(), (long)pid);
			fflush(stdout);
		}
	}
}

/* --respawn: a child that dies is replaced at once, as a pre-forking server does. */
static _Noreturn void respawn_children(const struct opts *o)
{
	const struct timespec retry = {0, ENOMEM_RETRY_NS};

	for (;;) {
		pid_t dead = wait(NULL);

		if (dead < 0 && errno == ECHILD) {
			nanosleep(&retry, NULL);
			continue;
		}
		if (dead < 0)
			continue;
		while (fork_child(o) < 0)
			nanosleep(&retry, NULL); /* EAGAIN at pids.max: try again */
	}
}

/* Reserve len bytes aligned to HUGE_ALIGN; NULL on failure. */
static char *map_slab(size_t len, bool thp)
{
	size_t span = len + HUGE_ALIGN, head, tail;
	char *raw, *p;

	raw = mmap(NULL, span, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
	head = (size_t)(p - raw);
	tail = span - head - len;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(p + len, tail);
	if (thp)
		madvise(p, len, MADV_HUGEPAGE);	/* best effort: EINVAL without THP */
	return p;
}

/* xorshift64: cheap bytes no compressor shrinks, which is all that is asked of them. */
static void fill_random(volatile char *page, size_t len)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;
	volatile uint64_t *w = (volatile uint64_t *)(volatile void *)page; /* page-aligned */

	for (size_t i = 0; i < len / sizeof(x); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	page[0] = 1; /* never a zero page, whatever the bytes were */
}

/* Back one more MiB, writing a non-zero byte to every page; false if mmap failed. */
static bool arena_grow(struct arena *a)
{
	volatile char *p;
	size_t off;

	if (a->left == 0) {
		char *s = map_slab(SLAB_BYTES, a->thp);
		size_t len = SLAB_BYTES;

		if (!s) {
			s = map_slab(HUGE_ALIGN, a->thp);
			len = HUGE_ALIGN;
		}
		if (!s)
			return false;
		a->cur = s;
		a->left = len;
		a->recorded = a->n_slabs < MAX_SLABS;
		if (a->recorded) {
			a->slabs[a->n_slabs] = s;
			a->slab_mib[a->n_slabs++] = 0;
		}
	}
	p = (volatile char *)a->cur;
	for (off = 0; off < MIB; off += TOUCH_STRIDE)
		if (a->random_bytes)
			fill_random(p + off, a->random_bytes);
		else
			p[off] = 1;
	a->cur += MIB;
	a->left -= MIB;
	a->mib++;
	if (a->recorded)
		a->slab_mib[a->n_slabs - 1]++;
	return true;
}

/* --threads: thread @index of @count touches MiB @index, @index + @count, ... once, then sleeps. */
struct toucher {
	const struct arena *a;
	unsigned index, count;
	pthread_barrier_t *ready;
};

static void touch_share(const struct toucher *t)
{
	uint64_t k = 0;

	for (size_t s = 0; s < t->a->n_slabs; s++)
		for (size_t m = 0; m < t->a->slab_mib[s]; m++, k++) {
			volatile char *p = t->a->slabs[s] + m * MIB;

			if (k % t->count != t->index)
				continue;
			for (size_t off = 0; off < MIB; off += TOUCH_STRIDE)
				p[off] = (char)(p[off] + 1);
		}
	pthread_barrier_wait(t->ready);
}

static void *toucher_main(void *arg)
{
	touch_share(arg);
	for (;;)
		pause();
	return NULL;
}

/* Starts @o->threads - 1 threads and returns once each has touched its share. */
static void start_threads(const struct opts *o, const struct arena *a)
{
	static struct toucher t[MAX_THREADS];
	static pthread_barrier_t ready;
	pthread_attr_t attr;

	if (o->threads <= 1)
		return;
	pthread_barrier_init(&ready, NULL, o->threads);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (unsigned i = 1; i < o->threads; i++) {
		pthread_t id;
		int r;

		t[i] = (struct toucher){a, i, o->threads, &ready};
		r = pthread_create(&id, &attr, toucher_main, &t[i]);
		if (r != 0) {
			fprintf(stderr, "memhog: cannot start thread %u: %s\n", i, strerror(r));
			exit(1);
		}
	}
	pthread_attr_destroy(&attr);
	/* The main thread is number 0: its share, then the barrier says all are done. */
	t[0] = (struct toucher){a, 0, o->threads, &ready};
	touch_share(&t[0]);
}

static void sleep_until(const struct timespec *ts)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ts, NULL) == EINTR)
		;
}

/* Wait until step k (1-based) of a phase that started at t0 is due at rate MiB/s. */
static void pace(const struct timespec *t0, uint64_t k, double rate)
{
	struct timespec ts = *t0;
	double sec;
	uint64_t whole;

	if (rate <= 0.0)
		return;
	sec = (double)k / rate;
	whole = (uint64_t)sec;
	ts.tv_sec += (time_t)whole;
	ts.tv_nsec += (long)((sec - (double)whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	sleep_until(&ts);
}

/* Grow the arena to target MiB, paced from now; mmap failures are retried, not fatal. */
static void fill(struct arena *a, uint64_t target, double rate)
{
	const struct timespec retry = {0, ENOMEM_RETRY_NS};
	struct timespec t0;
	uint64_t k = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (a->mib < target) {
		pace(&t0, ++k, rate);
		while (!arena_grow(a))
			nanosleep(&retry, NULL);
	}
}

static void report(const struct opts *o, const char *what, uint64_t mib)
{
	if (o->quiet)
		return;
	printf("memhog %ld %s %" PRIu64 "\n", (long)getpid(), what, mib);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct arena a;
	int file_fd = -1;

	memset(&o, 0, sizeof(o));
	memset(&a, 0, sizeof(a));
	parse_args(argc, argv, &o);
	install_signals();
	if (o.have_adj)
		set_adj(o.adj);
	if (o.name)
		set_name(o.name);
	/* A rereader holds its --size first: it thrashes from its first read-back. */
	if (o.file_mib && !o.reread)
		file_fd = fill_page_cache(o.file_mib);
	if (o.shm_path)
		map_shared_file(o.shm_path, o.shm_mib);
	a.thp = o.thp;
	a.random_bytes = (size_t)o.random_pct * TOUCH_STRIDE / 100;
	fill(&a, o.size_mib, o.rate);
	if (o.file_mib && o.reread)
		file_fd = fill_page_cache(o.file_mib);
	start_threads(&o, &a);
	fork_children(&o);
	report(&o, "ready", a.mib);
	if (o.respawn)
		respawn_children(&o);
	if (o.grow) {
		fill(&a, o.max_mib ? o.max_mib : UINT64_MAX, o.rate);
		report(&o, "max", a.mib);
	}
	if (o.reread)
		reread_forever(file_fd, o.file_mib);
	for (;;)
		pause();
}
