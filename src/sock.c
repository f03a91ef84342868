/* SPDX-License-Identifier: MIT */
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys.h"

static int make_addr(const char *path, struct sockaddr_un *ret)
{
	if (strlen(path) >= sizeof(ret->sun_path))
		return -ENAMETOOLONG;
	*ret = (struct sockaddr_un){.sun_family = AF_UNIX};
	strcpy(ret->sun_path, path);
	return 0;
}

/* Creates the directories leading to @path that do not exist yet (0755). */
static int make_parents(const char *path)
{
	char dir[PATH_MAX];

	if (path_format(dir, sizeof(dir), "%s", path) < 0)
		return -ENAMETOOLONG;
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * The socket's directory must be one only root (or reapd's own user) can
 * change: otherwise another user could swap the socket for their own, or for
 * a link to a file of root's.  Sticky directories (like /tmp) are allowed:
 * there nobody else may rename or remove what reapd creates.
 */
static int check_dir(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (path_format(dir, sizeof(dir), "%s", path) < 0)
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		return -EINVAL;
	*(slash == dir ? slash + 1 : slash) = '\0';
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
		return -EPERM;
	return 0;
}

/* Decides what to do with something already at @path. Returns 0 when it may be replaced. */
static int check_existing(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	/* A socket: stale if nobody accepts connections on it any more. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ? -EADDRINUSE : -errno;
	close(fd);
	if (r == -EADDRINUSE)
		return r;
	if (r != -ECONNREFUSED && r != -ENOENT)
		return r;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int sock_listen(const char *path, mode_t mode)
{
	struct sockaddr_un addr;
	mode_t old_mask;
	int fd, r;

	if ((r = make_addr(path, &addr)) < 0 || (r = make_parents(path)) < 0 ||
	    (r = check_dir(path)) < 0 || (r = check_existing(path, &addr)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * Created with its final mode: no window in which others could connect,
	 * and no chmod(2) by name afterwards, which a swapped path could redirect.
	 */
	old_mask = umask(~mode & 0777);
	r = bind(fd, (const struct sockaddr *)&addr, sizeof(addr));
	umask(old_mask);
	if (r < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void sock_unlink(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

int sock_accept(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sock_peer_cred(int fd, struct ucred *ret)
{
	socklen_t len = sizeof(*ret);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ret, &len) < 0)
		return -errno;
	return 0;
}

int sock_send(int fd, const void *buf, size_t len)
{
	if (send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

ssize_t sock_recv(int fd, void *buf, size_t len, struct ucred *ret_cred)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (ret_cred) {
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
	}
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (ret_cred) {
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

		/* No credentials attached means we cannot tell who sent it: treat as nobody. */
		*ret_cred = (struct ucred){.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
		if (n > 0 && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			memcpy(ret_cred, CMSG_DATA(c), sizeof(*ret_cred));
	}
	return n;
}

int parse_mode(const char *s, mode_t *ret)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 4)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -EINVAL;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 0777)
		return -EINVAL;
	*ret = (mode_t)v;
	return 0;
}
