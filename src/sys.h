/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Thin wrappers over the system calls and file operations reapd uses.  All of
 * them return >= 0 on success or a negative errno, never -1/errno, and none
 * allocates memory.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC  1000000ULL

/* Returns CLOCK_MONOTONIC in microseconds. */
uint64_t now_usec(void);

/* FNV-1a: hash_fnv1a(HASH_FNV1A_INIT, ...) and chained over more data. */
#define HASH_FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t hash_fnv1a(uint64_t h, const void *data, size_t len);

/* Returns CLOCK_REALTIME in microseconds. */
uint64_t realtime_usec(void);

/* Returns a pidfd (close-on-exec) for @pid, or -errno. */
int sys_pidfd_open(pid_t pid);

/* Sends @sig through @pidfd. Returns 0 or -errno. */
int sys_pidfd_send_signal(int pidfd, int sig);

/*
 * Releases the memory of the dying process behind @pidfd (process_mrelease,
 * syscall 448; there is no libc wrapper on every libc).  Returns 0 or -errno:
 * -ESRCH when the process has already released its memory, -EINVAL when it is
 * not dying, -ENOSYS when the kernel lacks the call.
 */
int sys_process_mrelease(int pidfd);

/* The scheduling attributes of sched_setattr(2), which glibc has no type for. */
struct sys_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

/* sched_getattr(2) of thread @tid (0: the caller). Returns 0 or -errno. */
int sys_sched_getattr(pid_t tid, struct sys_sched_attr *ret);

/* sched_setattr(2): policy, priority and nice of thread @tid in one call. Returns 0 or -errno. */
int sys_sched_setattr(pid_t tid, const struct sys_sched_attr *attr);

/* One entry of what getdents64(2) returns. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* getdents64(2). Returns the number of bytes read, 0 at the end, or -errno. */
ssize_t sys_getdents64(int fd, void *buf, size_t len);

/*
 * Reads the whole file behind @fd from offset 0 into @buf and NUL-terminates
 * it.  Meant for kernel files (procfs, cgroupfs), where a short read is the
 * end of the file.  Returns the length read, or -errno; -EOVERFLOW when the
 * file does not fit in @size - 1 bytes (the buffer then holds a truncated
 * prefix).
 */
ssize_t pread_str(int fd, char *buf, size_t size);

/*
 * Opens @path relative to @dirfd read-only, reads it like pread_str() and
 * closes it.  Returns the length or -errno.
 */
ssize_t read_at(int dirfd, const char *path, char *buf, size_t size);

/* Opens @path relative to @dirfd and writes @s to it. Returns 0 or -errno. */
int write_at(int dirfd, const char *path, const char *s);

/* Opens @path relative to @dirfd with @flags (O_CLOEXEC added). Returns the fd or -errno. */
int open_at(int dirfd, const char *path, int flags);

/*
 * For writing to inherited output @fd (stdout, stderr) without ever
 * blocking, and without changing the flags of a file description shared with
 * whoever started us: a pipe or FIFO is opened anew through /proc/self/fd
 * with O_NONBLOCK (the new fd is the caller's to close); a socket is to be
 * written with send(MSG_DONTWAIT) (*@ret_is_socket); anything else (a
 * terminal, a file) is written as it is.  Returns the fd to write to (@fd or
 * a new one) or -errno.
 */
int open_nonblocking_output(int fd, bool *ret_is_socket);

/*
 * Starts a thread that takes no signals (they belong to the loop's
 * signalfd: a SIGTERM delivered to another thread would end reapd by the
 * default action), on a stack of @stack bytes (0: the default; reapd's
 * memory is locked, so its threads keep theirs small).  Returns 0 or -errno.
 */
int sys_thread_start(pthread_t *ret, size_t stack, void *(*fn)(void *), void *arg);

/* Closes @fd if it is >= 0 and returns -1, so "fd = safe_close(fd);" resets it. */
int safe_close(int fd);

/* Parses a decimal pid. Returns the pid (> 0) or -EINVAL. */
int parse_pid(const char *s);

/* snprintf into a path buffer. Returns 0, or -ENAMETOOLONG when it does not fit. */
int path_format(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Writes to every page of [@p, @p + @len) so the memory is really backed
 * now; after mlockall(MCL_ONFAULT) it then stays resident, and the kill path
 * never takes a page fault that would need free memory.
 */
void prefault(void *p, size_t len);
