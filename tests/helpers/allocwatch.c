/* SPDX-License-Identifier: MIT */
/*
 * allocwatch.so, preloaded into reapd by the zero-allocation test: counts
 * every malloc/calloc/realloc/free/memalign and every open made while reapd
 * marks itself on the path from a pressure event to the signal (the exported
 * int reapd_kill_path is non-zero), and the number of such windows it saw.
 * The window is the loop's (its main thread's): an allocation counts on any
 * thread, since the reaper's workers must not allocate either, but an open
 * counts only on the loop; what a worker opens meanwhile (the /proc and
 * cgroup files of a victim already signalled, to thaw and boost it) is listed
 * apart, as "open-worker".  At exit it writes the counts, and the paths
 * opened inside a window, to $ALLOCWATCH_OUT.  It never allocates itself: the real allocator is reached
 * through glibc's __libc_* entry points and opens go straight to the kernel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static volatile int *window;
static atomic_ulong allocs, frees, opens, calls;
static char paths[32][128];
static bool path_on_loop[32];
static atomic_uint n_paths;
static volatile unsigned long *window_count;

static int in_window(void)
{
	int on = window && *window;

	atomic_fetch_add(&calls, 1);
	return on;
}

__attribute__((constructor)) static void init(void)
{
	window = dlsym(RTLD_DEFAULT, "reapd_kill_path");
	window_count = dlsym(RTLD_DEFAULT, "reapd_kill_path_rounds");
}

void *malloc(size_t n)
{
	if (in_window())
		atomic_fetch_add(&allocs, 1);
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (in_window())
		atomic_fetch_add(&allocs, 1);
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (in_window())
		atomic_fetch_add(&allocs, 1);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (p && in_window())
		atomic_fetch_add(&frees, 1);
	__libc_free(p);
}

int posix_memalign(void **ret, size_t align, size_t n)
{
	if (in_window())
		atomic_fetch_add(&allocs, 1);
	*ret = __libc_memalign(align, n);
	return *ret ? 0 : 12;
}

void *aligned_alloc(size_t align, size_t n)
{
	if (in_window())
		atomic_fetch_add(&allocs, 1);
	return __libc_memalign(align, n);
}

static void note_open(const char *path)
{
	unsigned i;

	bool on_loop = syscall(SYS_gettid) == getpid();

	if (on_loop)
		atomic_fetch_add(&opens, 1);
	i = atomic_fetch_add(&n_paths, 1);
	if (i < 32) {
		path_on_loop[i] = on_loop;
		snprintf(paths[i], sizeof(paths[i]), "%s", path);
	}
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (in_window())
		note_open(path);
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (in_window())
		note_open(path);
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

__attribute__((destructor)) static void report(void)
{
	const char *out = getenv("ALLOCWATCH_OUT");
	char buf[8192];
	int len, fd;

	if (!out)
		return;
	len = snprintf(buf, sizeof(buf), "found %d\ncalls %lu\nrounds %lu\nallocs %lu\nfrees %lu\nopens %lu\n",
		       window != NULL, atomic_load(&calls), window_count ? *window_count : 0UL, atomic_load(&allocs),
		       atomic_load(&frees), atomic_load(&opens));
	for (unsigned i = 0; i < atomic_load(&n_paths) && i < 32 && len < (int)sizeof(buf) - 200; i++)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s %s\n",
				path_on_loop[i] ? "open" : "open-worker", paths[i]);
	fd = (int)syscall(SYS_openat, AT_FDCWD, out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, buf, (size_t)len);
		(void)w;
		close(fd);
	}
}
