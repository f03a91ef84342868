/* SPDX-License-Identifier: MIT */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

static uint64_t clock_usec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t now_usec(void)
{
	return clock_usec(CLOCK_MONOTONIC);
}

uint64_t realtime_usec(void)
{
	return clock_usec(CLOCK_REALTIME);
}

int sys_pidfd_open(pid_t pid)
{
	long r = syscall(SYS_pidfd_open, pid, 0);

	if (r < 0)
		return -errno;
	/* pidfds are always close-on-exec. */
	return (int)r;
}

int sys_pidfd_send_signal(int pidfd, int sig)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int sys_process_mrelease(int pidfd)
{
	if (syscall(SYS_process_mrelease, pidfd, 0) < 0)
		return -errno;
	return 0;
}

int sys_sched_getattr(pid_t tid, struct sys_sched_attr *ret)
{
	struct sys_sched_attr a = {0};

	if (syscall(SYS_sched_getattr, tid, &a, (unsigned)sizeof(a), 0U) < 0)
		return -errno;
	*ret = a;
	return 0;
}

int sys_sched_setattr(pid_t tid, const struct sys_sched_attr *attr)
{
	struct sys_sched_attr a = *attr;

	a.size = sizeof(a);
	if (syscall(SYS_sched_setattr, tid, &a, 0U) < 0)
		return -errno;
	return 0;
}

ssize_t sys_getdents64(int fd, void *buf, size_t len)
{
	long r = syscall(SYS_getdents64, fd, buf, len);

	if (r < 0)
		return -errno;
	return (ssize_t)r;
}

ssize_t pread_str(int fd, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -EINVAL;
	for (;;) {
		size_t want = size - 1 - len;
		ssize_t n;

		if (want == 0) {
			/* Full: tell a file that fits exactly from one that is too long. */
			char probe;

			n = pread(fd, &probe, 1, (off_t)len);
			buf[len] = '\0';
			if (n < 0)
				return -errno;
			return n == 0 ? (ssize_t)len : -EOVERFLOW;
		}
		n = pread(fd, buf + len, want, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf[len] = '\0';
			return -errno;
		}
		len += (size_t)n;
		/*
		 * procfs, seq_file and kernfs hand over everything they have in one
		 * read when it fits, so a short read is the end.  Asking again at
		 * the new offset would make the kernel generate the whole file
		 * again only to say so: for a v1 memory.stat under a mass uncharge
		 * that second generation was seen to take 30 ms.
		 */
		if (n == 0 || (size_t)n < want)
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

int open_at(int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

ssize_t read_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = open_at(dirfd, path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return fd;
	r = pread_str(fd, buf, size);
	close(fd);
	return r;
}

int write_at(int dirfd, const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd = open_at(dirfd, path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = write(fd, s, len);
	if (n < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

int parse_pid(const char *s)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > 0x3fffffff)
			return -EINVAL;
	}
	return (int)v;
}

int path_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

void prefault(void *p, size_t len)
{
	volatile char *c = p;

	for (size_t i = 0; i < len; i += 4096)
		c[i] = c[i];
	if (len)
		c[len - 1] = c[len - 1];
}

int open_nonblocking_output(int fd, bool *ret_is_socket)
{
	char path[32];
	struct stat st;
	int nfd;

	*ret_is_socket = false;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		*ret_is_socket = true;
		return fd;
	}
	if (!S_ISFIFO(st.st_mode))
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return nfd >= 0 ? nfd : fd;
}

int sys_thread_start(pthread_t *ret, size_t stack, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	r = -pthread_create(ret, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

uint64_t hash_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}
