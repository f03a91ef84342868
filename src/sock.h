/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Unix SOCK_SEQPACKET sockets for the control endpoints: listening safely on
 * a path, and non-blocking packet I/O that never makes the loop wait.
 */

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * Listens on @path with file mode @mode.  Creates the parent directory (0755)
 * when missing.  A socket nobody listens on any more is replaced; returns
 * -EADDRINUSE when a live process listens on @path, -EEXIST when @path exists
 * and is not a socket (it is never removed), -EPERM when its directory could
 * be changed by another user (owned by someone else, or group- or
 * world-writable without the sticky bit), other -errno.  The socket is
 * non-blocking and close-on-exec.  Returns the fd.
 */
int sock_listen(const char *path, mode_t mode);

/* Removes @path if it is (still) a socket. */
void sock_unlink(const char *path);

/* Accepts a connection, non-blocking and close-on-exec. Returns the fd or -errno. */
int sock_accept(int listen_fd);

/* Reads the peer's credentials (SO_PEERCRED). Returns 0 or -errno. */
int sock_peer_cred(int fd, struct ucred *ret);

/*
 * Sends one packet without waiting.  Returns 0, -EAGAIN when the peer's
 * buffer is full (the caller drops such a peer), or -errno.
 */
int sock_send(int fd, const void *buf, size_t len);

/*
 * Receives one packet into @buf.  With @ret_cred non-NULL the sender's
 * credentials for this very packet are read (the socket needs SO_PASSCRED).
 * Returns the packet's length (which may exceed @len: the rest was cut off),
 * 0 when the peer closed, -EAGAIN when nothing is waiting, or -errno.
 */
ssize_t sock_recv(int fd, void *buf, size_t len, struct ucred *ret_cred);

/* Parses an octal file mode ("0660"). Returns 0 or -EINVAL. */
int parse_mode(const char *s, mode_t *ret);
