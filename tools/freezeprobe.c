/* SPDX-License-Identifier: MIT */
/*
 * freezeprobe: the interactive program of the freeze benchmark.
 *
 * Every interval (100 ms) it does what a program in front of a user does
 * between two frames: it writes to a slice of its anonymous working set and
 * reads a slice of a file it works on.  Under memory pressure both stall
 * (reclaim, swap-in, re-reading evicted page cache), and that stall is what
 * the benchmark measures: each iteration's latency, from the time it was due
 * to the time its work was done.  An iteration that is late by more than an
 * interval swallows the ones it overran, so a stall is counted once.
 *
 * The records go into a file mapped shared, written in place, so they survive
 * the probe's own death (a killer that takes the probe is the worst result,
 * and the benchmark must still see when it happened).  Layout: a header
 * (struct probe_header), then one struct probe_record per iteration; `count`
 * is written after each record, so a reader sees only complete records.
 * SIGTERM/SIGINT end it with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB ((uint64_t)1 << 20)
#define PROBE_MAGIC 0x31626f72707a6672ULL /* "rfzprob1" */
#define PAGE 4096

struct probe_header {
	uint64_t magic;
	uint64_t interval_usec;
	uint64_t start_realtime_usec; /* CLOCK_REALTIME at the first iteration's due time */
	uint64_t capacity;            /* records the file has room for */
	_Atomic uint64_t count;       /* records written */
	uint64_t anon_mib, file_mib;
};

struct probe_record {
	uint64_t due_usec;     /* since the first iteration's due time */
	uint64_t latency_usec; /* from due to done */
};

struct opts {
	const char *out;
	const char *file;
	uint64_t anon_mib, file_mib, slice_mib, read_kib, interval_ms, seconds;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "freezeprobe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr, "freezeprobe: invalid value for %s: '%s' (expected %llu to %llu)\n",
			opt, s, (unsigned long long)min, (unsigned long long)max);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: freezeprobe --out FILE --file PATH [OPTIONS]\n"
	      "  -o, --out FILE        the records (created; mapped shared)\n"
	      "  -f, --file PATH       the file working set (created and filled if shorter)\n"
	      "  -a, --anon-mib MIB    anonymous working set (default 64)\n"
	      "  -F, --file-mib MIB    file working set (default 128)\n"
	      "  -s, --slice-mib MIB   anonymous memory written per iteration (default 4)\n"
	      "  -r, --read-kib KIB    file read per iteration (default 1024)\n"
	      "  -i, --interval-ms MS  one iteration every MS (default 100)\n"
	      "  -t, --seconds S       room for S seconds of records (default 3600)\n"
	      "Prints 'freezeprobe <pid> ready' once both working sets are in memory.\n",
	      f);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{"out", required_argument, NULL, 'o'},	     {"file", required_argument, NULL, 'f'},
		{"anon-mib", required_argument, NULL, 'a'},  {"file-mib", required_argument, NULL, 'F'},
		{"slice-mib", required_argument, NULL, 's'}, {"read-kib", required_argument, NULL, 'r'},
		{"interval-ms", required_argument, NULL, 'i'}, {"seconds", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	     {0},
	};
	int c;

	*o = (struct opts){.anon_mib = 64, .file_mib = 128, .slice_mib = 4, .read_kib = 1024,
			   .interval_ms = 100, .seconds = 3600};
	while ((c = getopt_long(argc, argv, "o:f:a:F:s:r:i:t:h", longs, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'f': o->file = optarg; break;
		case 'a': o->anon_mib = parse_u64("--anon-mib", optarg, 1, 65536); break;
		case 'F': o->file_mib = parse_u64("--file-mib", optarg, 1, 65536); break;
		case 's': o->slice_mib = parse_u64("--slice-mib", optarg, 1, 65536); break;
		case 'r': o->read_kib = parse_u64("--read-kib", optarg, 4, 1 << 20); break;
		case 'i': o->interval_ms = parse_u64("--interval-ms", optarg, 1, 60000); break;
		case 't': o->seconds = parse_u64("--seconds", optarg, 1, 7 * 86400); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!o->out || !o->file || optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (o->slice_mib > o->anon_mib || o->read_kib > o->file_mib * 1024) {
		fputs("freezeprobe: a slice larger than its working set\n", stderr);
		exit(2);
	}
}

/* Opens PATH, makes it MIB long with real data (not a hole) and reads it once into the cache. */
static int open_file_set(const char *path, uint64_t mib)
{
	static char buf[1 << 20];
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		die(path);
	if (fstat(fd, &st) < 0)
		die(path);
	memset(buf, 0x5a, sizeof(buf));
	for (uint64_t off = (uint64_t)st.st_size / MIB * MIB; off < mib * MIB; off += MIB)
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf))
			die(path);
	fsync(fd);
	for (uint64_t off = 0; off < mib * MIB; off += MIB)
		if (pread(fd, buf, sizeof(buf), (off_t)off) < 0)
			die(path);
	return fd;
}

static struct probe_header *open_records(const struct opts *o, uint64_t *ret_capacity)
{
	uint64_t capacity = o->seconds * 1000 / o->interval_ms + 1;
	size_t size = sizeof(struct probe_header) + capacity * sizeof(struct probe_record);
	int fd = open(o->out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct probe_header *h;

	if (fd < 0)
		die(o->out);
	if (ftruncate(fd, (off_t)size) < 0)
		die(o->out);
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		die("mmap the records");
	close(fd);
	/* Touched now: writing a record must not fault in a page of its own file. */
	memset(h, 0, size);
	*ret_capacity = capacity;
	return h;
}

int main(int argc, char **argv)
{
	static char rbuf[1 << 20];
	struct sigaction sa = {.sa_handler = on_stop};
	struct probe_header *h;
	struct probe_record *rec;
	struct opts o;
	uint64_t capacity, due, start, interval, slices, reads, i = 0;
	char *anon;
	int fd;

	parse(argc, argv, &o);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	anon = mmap(NULL, o.anon_mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (anon == MAP_FAILED)
		die("mmap the anonymous working set");
	/* Half random, half zero per page, as real data: zram neither swallows nor keeps it whole. */
	for (uint64_t off = 0; off < o.anon_mib * MIB; off += PAGE)
		for (size_t b = 0; b < PAGE / 2; b += sizeof(int))
			*(int *)(anon + off + b) = rand();
	fd = open_file_set(o.file, o.file_mib);
	h = open_records(&o, &capacity);
	rec = (struct probe_record *)(h + 1);
	interval = o.interval_ms * 1000;
	slices = o.anon_mib / o.slice_mib;
	reads = o.file_mib * 1024 / o.read_kib;
	printf("freezeprobe %d ready\n", (int)getpid());
	fflush(stdout);

	start = now_usec(CLOCK_MONOTONIC) + interval;
	h->magic = PROBE_MAGIC;
	h->interval_usec = interval;
	h->start_realtime_usec = now_usec(CLOCK_REALTIME) + interval;
	h->capacity = capacity;
	h->anon_mib = o.anon_mib;
	h->file_mib = o.file_mib;
	for (due = start; !stop && i < capacity; i++) {
		struct timespec ts = {.tv_sec = (time_t)(due / 1000000),
				      .tv_nsec = (long)(due % 1000000) * 1000};
		char *slice = anon + (i % slices) * o.slice_mib * MIB;
		uint64_t done;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
			;
		if (stop)
			break;
		for (uint64_t off = 0; off < o.slice_mib * MIB; off += PAGE)
			slice[off + PAGE - 1]++; /* in the zero half: the random half stays as it is */
		if (pread(fd, rbuf, o.read_kib * 1024, (off_t)((i % reads) * o.read_kib * 1024)) < 0)
			die("read the file working set");
		done = now_usec(CLOCK_MONOTONIC);
		rec[i] = (struct probe_record){.due_usec = due - start, .latency_usec = done - due};
		atomic_store(&h->count, i + 1);
		/* The next due time after now: a long stall is one late iteration, not many. */
		do
			due += interval;
		while (due <= done);
	}
	return 0;
}
