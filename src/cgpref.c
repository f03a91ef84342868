/* SPDX-License-Identifier: MIT */
#include "cgpref.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

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

/*
 * A cgroup directory, as an fd (the scoped walk holds one) or as a path (the
 * system scope's lookup, which opens nothing).
 */
struct target {
	int fd;
	const char *path; /* NULL: use fd */
};

static ssize_t list_names(const struct target *t, char *buf, size_t len)
{
	return t->path ? listxattr(t->path, buf, len) : flistxattr(t->fd, buf, len);
}

/* True when the xattr @name of @t holds a true value. */
static bool xattr_true(const struct target *t, const char *name)
{
	char v[16];
	ssize_t n = t->path ? getxattr(t->path, name, v, sizeof(v))
			    : fgetxattr(t->fd, name, v, sizeof(v));

	return n > 0 && parse_xattr_bool(v, (size_t)n) == 1;
}

static int owner_of(const struct target *t, uid_t *ret)
{
	struct stat st;

	if ((t->path ? stat(t->path, &st) : fstat(t->fd, &st)) < 0)
		return -errno;
	*ret = st.st_uid;
	return 0;
}

static uint8_t read_pref(const struct target *t, uid_t owner)
{
	char list[512];
	ssize_t n = list_names(t, list, sizeof(list));
	bool omit, avoid;
	uid_t uid = 0;

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
	if (owner_of(t, &uid) < 0 || (uid != 0 && uid != owner))
		return CG_PREF_NONE;
	if (omit && xattr_true(t, OMIT))
		return CG_PREF_OMIT;
	if (avoid && xattr_true(t, AVOID))
		return CG_PREF_AVOID;
	return CG_PREF_NONE;
}

uint8_t cgpref_read(int dirfd, uid_t owner)
{
	struct target t = {.fd = dirfd};

	return read_pref(&t, owner);
}

void cgpref_cache_next(struct cgpref_cache *c)
{
	/* Generation 0 is what a fresh slot holds: never a current one. */
	if (++c->gen == 0)
		c->gen = 1;
}

uint8_t cgpref_of_path(struct cgpref_cache *c, char *path, size_t root_len, uid_t owner)
{
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, path + root_len, strlen(path + root_len));
	struct target t = {.fd = -1, .path = path};
	uint8_t pref = CG_PREF_NONE;
	char *comp = path + root_len;

	if (c->slot[h % CGPREF_SLOTS].gen == c->gen && c->slot[h % CGPREF_SLOTS].hash == h)
		return c->slot[h % CGPREF_SLOTS].pref;
	/* Each level in turn: the path cut after it, then put back. */
	while (*comp == '/') {
		char *end = comp + 1 + strcspn(comp + 1, "/"), saved = *end;
		size_t len = (size_t)(end - comp - 1);
		uint8_t p;

		if (len == 0 || (len == 1 && comp[1] == '.') ||
		    (len == 2 && comp[1] == '.' && comp[2] == '.'))
			break; /* "//", "." or "..": not a path down the tree */
		*end = '\0';
		p = read_pref(&t, owner);
		*end = saved;
		if (p > pref)
			pref = p;
		comp = end;
	}
	c->slot[h % CGPREF_SLOTS].hash = h;
	c->slot[h % CGPREF_SLOTS].gen = c->gen;
	c->slot[h % CGPREF_SLOTS].pref = pref;
	return pref;
}
