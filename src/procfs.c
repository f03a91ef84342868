/* SPDX-License-Identifier: MIT */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "sys.h"

#define MOUNTINFO_MAX (1024 * 1024)
#define CGROUP_FILE_MAX 8192

/* Copies one space-separated mountinfo field, undoing its \ooo escapes. Returns 0 or -EINVAL. */
static int unescape_field(const char *s, size_t len, char *out, size_t out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= out_len)
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* True when @list (comma-separated) holds @word. */
static bool has_word(const char *list, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i <= len;) {
		const char *comma = memchr(list + i, ',', len - i);
		size_t end = comma ? (size_t)(comma - list) : len;

		if (end - i == wl && memcmp(list + i, word, wl) == 0)
			return true;
		i = end + 1;
	}
	return false;
}

/* @dir is @mp or below it. Returns the length of @mp that matched, or -1. */
static long below(const char *dir, const char *mp)
{
	size_t n = strlen(mp);

	if (strcmp(mp, "/") == 0)
		return 0;
	if (strncmp(dir, mp, n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
		return (long)n;
	return -1;
}

struct mount_line {
	char root[PATH_MAX], mountpoint[PATH_MAX];
	bool matches; /* the hierarchy we look for */
};

/* Parses one mountinfo line (@len bytes). Returns 0, or -EINVAL for a line it cannot read. */
static int parse_mount_line(const char *line, size_t len, bool v2, struct mount_line *ret)
{
	const char *f[6], *p = line, *end = line + len, *sep;
	size_t flen[6];
	int n = 0;

	/* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
	while (p < end && n < 6) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		f[n] = p;
		flen[n] = sp ? (size_t)(sp - p) : (size_t)(end - p);
		n++;
		p = sp ? sp + 1 : end;
	}
	if (n < 6 || !(sep = strstr(p - 1, " - ")) || sep >= end)
		return -EINVAL;
	if (unescape_field(f[3], flen[3], ret->root, sizeof(ret->root)) < 0 ||
	    unescape_field(f[4], flen[4], ret->mountpoint, sizeof(ret->mountpoint)) < 0)
		return -EINVAL;
	p = sep + 3;
	{
		const char *sp1 = memchr(p, ' ', (size_t)(end - p));
		const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
		size_t fstype_len = sp1 ? (size_t)(sp1 - p) : (size_t)(end - p);

		if (v2)
			ret->matches = fstype_len == 7 && memcmp(p, "cgroup2", 7) == 0;
		else
			ret->matches = fstype_len == 6 && memcmp(p, "cgroup", 6) == 0 && sp2 &&
				       has_word(sp2 + 1, (size_t)(end - sp2 - 1), "memory");
	}
	return 0;
}

int procfs_scope_from_mountinfo(const char *mountinfo, const char *dir, bool v2,
				struct procfs_scope *ret)
{
	struct mount_line m;
	char best_root[PATH_MAX] = "";
	long best = -1;
	struct procfs_scope s = {.kind = v2 ? PROCFS_SCOPE_V2 : PROCFS_SCOPE_V1};
	size_t n;

	if (dir[0] != '/')
		return -EINVAL;
	for (const char *line = mountinfo; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		long at;

		/* Later mounts on the same point hide earlier ones: ">=" keeps the last. */
		if (parse_mount_line(line, len, v2, &m) == 0 && m.matches &&
		    (at = below(dir, m.mountpoint)) >= 0 && at >= best) {
			best = at;
			snprintf(best_root, sizeof(best_root), "%s", m.root);
		}
		line = nl ? nl + 1 : line + len;
	}
	if (best < 0)
		return -ENOENT;
	if (strcmp(best_root, "/") == 0)
		best_root[0] = '\0';
	if (path_format(s.rel, sizeof(s.rel), "%s%s", best_root, dir + best) < 0)
		return -ENAMETOOLONG;
	n = strlen(s.rel);
	while (n > 1 && s.rel[n - 1] == '/')
		s.rel[--n] = '\0';
	if (n == 0)
		strcpy(s.rel, "/");
	*ret = s;
	return 0;
}

int procfs_scope_open(int proc_fd, const char *dir, bool v2, struct procfs_scope *ret)
{
	char *real = NULL, *text = NULL;
	ssize_t n;
	int r;

	*ret = (struct procfs_scope){.kind = PROCFS_SCOPE_UNKNOWN};
	if (!dir) {
		ret->kind = PROCFS_SCOPE_SYSTEM;
		strcpy(ret->rel, "/");
		return 0;
	}
	real = realpath(dir, NULL);
	text = malloc(MOUNTINFO_MAX);
	if (!real || !text) {
		r = !real ? -errno : -ENOMEM;
		goto out;
	}
	n = read_at(proc_fd, "self/mountinfo", text, MOUNTINFO_MAX);
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	r = procfs_scope_from_mountinfo(text, real, v2, ret);
	if (r < 0)
		*ret = (struct procfs_scope){.kind = PROCFS_SCOPE_UNKNOWN};
out:
	free(real);
	free(text);
	return r;
}

/* A path with a ".." component (a cgroup outside our cgroup namespace) is never inside. */
static bool has_dotdot(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((i == 0 || p[i - 1] == '/') && i + 2 <= len && p[i] == '.' && p[i + 1] == '.' &&
		    (i + 2 == len || p[i + 2] == '/'))
			return true;
	return false;
}

/* Is the cgroup path @p (@len bytes) @rel or below it? */
static bool path_inside(const char *rel, const char *p, size_t len)
{
	size_t n = strlen(rel);

	if (len == 0 || p[0] != '/' || has_dotdot(p, len))
		return false;
	if (strcmp(rel, "/") == 0)
		return true;
	return len >= n && memcmp(p, rel, n) == 0 && (len == n || p[n] == '/');
}

int procfs_cgroup_in_scope(const struct procfs_scope *s, const char *cgroup)
{
	const char *found = NULL;
	size_t found_len = 0;
	int matches = 0;

	if (s->kind == PROCFS_SCOPE_SYSTEM)
		return 1;
	if (s->kind == PROCFS_SCOPE_UNKNOWN)
		return 0;
	for (const char *line = cgroup; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		bool mine;

		/* id:controllers:path; the path may hold colons itself, the first two may not. */
		if (!c2 || c1 == line)
			return -EINVAL;
		for (const char *d = line; d < c1; d++)
			if (*d < '0' || *d > '9')
				return -EINVAL;
		if (s->kind == PROCFS_SCOPE_V2)
			mine = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
		else
			mine = has_word(c1 + 1, (size_t)(c2 - c1 - 1), "memory");
		if (mine) {
			matches++;
			found = c2 + 1;
			found_len = len - (size_t)(c2 + 1 - line);
		}
		line = nl ? nl + 1 : line + len;
	}
	if (matches > 1)
		return -EINVAL;
	return matches == 1 && path_inside(s->rel, found, found_len) ? 1 : 0;
}

int procfs_adj_change_allowed(uid_t who, uid_t owner, int cur_adj, int new_adj)
{
	if (who == 0)
		return 0;
	if (who != owner)
		return -EPERM;
	return new_adj >= cur_adj ? 0 : -EACCES;
}

/* Reads the real uid and oom_score_adj of the process at @dirfd. Returns 0 or -errno. */
static int read_owner_adj(int dirfd, uid_t *ret_uid, int *ret_adj)
{
	char buf[4096];
	struct proc_status st;
	ssize_t n = read_at(dirfd, "status", buf, sizeof(buf));
	long adj;
	int r;

	if (n < 0 && n != -EOVERFLOW)
		return (int)n;
	if (parse_proc_status(buf, &st) < 0)
		return -EINVAL;
	if ((n = read_at(dirfd, "oom_score_adj", buf, sizeof(buf))) < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	if ((r = parse_int_range(buf, -1000, 1000, &adj)) < 0)
		return r;
	*ret_uid = st.uid;
	*ret_adj = (int)adj;
	return 0;
}

static int check_scope(int dirfd, const struct procfs_scope *s)
{
	char buf[CGROUP_FILE_MAX];
	ssize_t n;

	if (s->kind == PROCFS_SCOPE_SYSTEM)
		return 0;
	n = read_at(dirfd, "cgroup", buf, sizeof(buf));
	if (n == -EOVERFLOW)
		return -EXDEV; /* cannot be checked, so not trusted */
	if (n < 0)
		return (int)n;
	return procfs_cgroup_in_scope(s, buf) == 1 ? 0 : -EXDEV;
}

int procfs_prio_check(int proc_fd, const struct procfs_scope *s, pid_t self, uid_t who, pid_t pid,
		      int new_adj, struct procfs_target *info)
{
	char path[16];
	int dirfd, r;

	info->dirfd = -1;
	if (pid <= 0)
		return -ESRCH;
	if (pid == 1 || pid == self)
		return -EBUSY;
	snprintf(path, sizeof(path), "%d", (int)pid);
	dirfd = open_at(proc_fd, path, O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return dirfd == -ENOENT ? -ESRCH : dirfd;
	/* Everything below is read through the directory: one process, even if the pid is reused. */
	if ((r = check_scope(dirfd, s)) < 0 ||
	    (r = read_owner_adj(dirfd, &info->owner, &info->adj)) < 0 ||
	    (r = procfs_adj_change_allowed(who, info->owner, info->adj, new_adj)) < 0) {
		close(dirfd);
		return r == -ENOENT ? -ESRCH : r;
	}
	info->dirfd = dirfd;
	return 0;
}

int procfs_write_adj(int pid_dirfd, int adj)
{
	char val[16];
	int r;

	snprintf(val, sizeof(val), "%d", adj);
	r = write_at(pid_dirfd, "oom_score_adj", val);
	return r == -ENOENT ? -ESRCH : r;
}

const char *procfs_prio_error(int r)
{
	switch (r) {
	case -ESRCH:
		return "no such process";
	case -EBUSY:
		return "pid 1 and reapd itself are never changed";
	case -EXDEV:
		return "not inside reapd's scope";
	case -EPERM:
		return "permission denied: the process belongs to another user";
	case -EACCES:
		return "permission denied: only root may lower oom_score_adj";
	default:
		return strerror(-r);
	}
}
