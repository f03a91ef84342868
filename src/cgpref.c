/* SPDX-License-Identifier: MIT */
#include "cgpref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "parse.h"
#include "sys.h"

#define OMIT  "user.oomd_omit"
#define AVOID "user.oomd_avoid"

/* True when the NUL-separated xattr name list @list[0..n) holds @name. */
static bool has_name(const char *list, size_t n, const char *name)
{
	for (size_t off = 0; off < n; off += strnlen(list + off, n - off) + 1)
		if (strncmp(list + off, name, n - off) == 0)
			return true;
	return false;
}

/* True when the xattr @name of @dirfd holds a true value. */
static bool xattr_true(int dirfd, const char *name)
{
	char v[16];
	ssize_t n = fgetxattr(dirfd, name, v, sizeof(v));

	return n > 0 && parse_xattr_bool(v, (size_t)n) == 1;
}

uint8_t cgpref_read(int dirfd, uid_t owner)
{
	char list[512];
	ssize_t n = flistxattr(dirfd, list, sizeof(list));
	bool omit, avoid;
	struct stat st;

	if (n < 0 && errno == ERANGE) {
		omit = avoid = true; /* a long list: ask for each */
	} else if (n <= 0) {
		return CG_PREF_NONE;
	} else {
		omit = has_name(list, (size_t)n, OMIT);
		avoid = has_name(list, (size_t)n, AVOID);
	}
	if (!omit && !avoid)
		return CG_PREF_NONE;
	if (fstat(dirfd, &st) < 0 || (st.st_uid != 0 && st.st_uid != owner))
		return CG_PREF_NONE;
	if (omit && xattr_true(dirfd, OMIT))
		return CG_PREF_OMIT;
	if (avoid && xattr_true(dirfd, AVOID))
		return CG_PREF_AVOID;
	return CG_PREF_NONE;
}

void cgpref_cache_next(struct cgpref_cache *c)
{
	/* Generation 0 is what a fresh slot holds: never a current one. */
	if (++c->gen == 0)
		c->gen = 1;
}

uint8_t cgpref_of_path(struct cgpref_cache *c, int rootfd, uid_t owner, char *path)
{
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, path, strlen(path));
	uint8_t pref = CG_PREF_NONE;
	char *comp, *rest;
	int cur = rootfd;

	if (c->slot[h % CGPREF_SLOTS].gen == c->gen && c->slot[h % CGPREF_SLOTS].hash == h)
		return c->slot[h % CGPREF_SLOTS].pref;
	for (comp = strtok_r(path, "/", &rest); comp; comp = strtok_r(NULL, "/", &rest)) {
		int fd = -1;
		uint8_t p;

		/* A path from elsewhere than parse_proc_cgroup() must not climb out either. */
		if (strcmp(comp, ".") != 0 && strcmp(comp, "..") != 0)
			fd = open_at(cur, comp, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			break; /* gone, or not ours to read: what was found above it stands */
		p = cgpref_read(fd, owner);
		if (p > pref)
			pref = p;
		if (cur != rootfd)
			close(cur);
		cur = fd;
	}
	if (cur != rootfd)
		close(cur);
	c->slot[h % CGPREF_SLOTS].hash = h;
	c->slot[h % CGPREF_SLOTS].gen = c->gen;
	c->slot[h % CGPREF_SLOTS].pref = pref;
	return pref;
}
