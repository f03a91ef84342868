/* SPDX-License-Identifier: MIT */
#include "freezer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "sys.h"

static char *dup_if_exists(const char *root, const char *sub, const char *probe)
{
	char path[PATH_MAX];

	if (path_format(path, sizeof(path), "%s%s/%s", root, sub, probe) < 0 ||
	    access(path, F_OK) < 0)
		return NULL;
	path_format(path, sizeof(path), "%s%s", root, sub);
	return strdup(path);
}

int cgroup_roots_find(const char *cgroup_root, struct cgroup_roots *ret)
{
	struct cgroup_roots r = {0};

	r.freezer_v1 = dup_if_exists(cgroup_root, "/freezer", "cgroup.procs");
	/* A pure v2 system mounts cgroup2 at the root; a hybrid one at unified/. */
	r.unified = dup_if_exists(cgroup_root, "", "cgroup.controllers");
	if (!r.unified)
		r.unified = dup_if_exists(cgroup_root, "/unified", "cgroup.controllers");
	*ret = r;
	return 0;
}

void cgroup_roots_free(struct cgroup_roots *r)
{
	free(r->freezer_v1);
	free(r->unified);
	*r = (struct cgroup_roots){0};
}

/* Returns 1 when @root/@path/@file contains @word, 0 when not, -errno. */
static int is_frozen(const char *root, const char *path, const char *file, const char *word)
{
	char p[PATH_MAX], buf[512];
	ssize_t n;

	if (path_format(p, sizeof(p), "%s%s/%s", root, path, file) < 0)
		return -ENAMETOOLONG;
	n = read_at(AT_FDCWD, p, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return strstr(buf, word) != NULL;
}

/* How one kind of freezer shows and lifts a freeze. */
struct freezer_kind {
	const char *controller; /* in /proc/<pid>/cgroup; "" for cgroup v2 */
	const char *state_file, *frozen_word;
	const char *state_file2, *frozen_word2; /* a second look, may be NULL */
	const char *thaw_file, *thaw_value;
};

static const struct freezer_kind freezer_v1 = {
	/* FREEZING counts too: the victim may already be stopped. */
	"freezer", "freezer.state", "FR", NULL, NULL, "freezer.state", "THAWED",
};

static const struct freezer_kind freezer_v2 = {
	/* cgroup.events shows an inherited freeze; cgroup.freeze one still settling. */
	"", "cgroup.events", "frozen 1", "cgroup.freeze", "1", "cgroup.freeze", "0",
};

/*
 * Thaws @pid if its cgroup under @root is frozen, by moving it to @root's top
 * cgroup (which thaws just this process), else by thawing its cgroup.
 * Returns 1 when thawed, 0 when not frozen, -errno.
 */
static int thaw_one(const char *root, const struct freezer_kind *k, const char *proc_cgroup,
		    pid_t pid)
{
	char path[PATH_MAX], p[PATH_MAX], pidbuf[16];
	int r;

	if (!root || parse_proc_cgroup(proc_cgroup, k->controller, path, sizeof(path)) < 0 ||
	    strcmp(path, "/") == 0)
		return 0;
	r = is_frozen(root, path, k->state_file, k->frozen_word);
	if (r == 0 && k->state_file2)
		r = is_frozen(root, path, k->state_file2, k->frozen_word2);
	if (r <= 0)
		return r;
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	if (path_format(p, sizeof(p), "%s/cgroup.procs", root) == 0 &&
	    write_at(AT_FDCWD, p, pidbuf) == 0)
		return 1;
	if (path_format(p, sizeof(p), "%s%s/%s", root, path, k->thaw_file) < 0)
		return -ENAMETOOLONG;
	r = write_at(AT_FDCWD, p, k->thaw_value);
	return r < 0 ? r : 1;
}

int cgroup_thaw_victim(const struct cgroup_roots *roots, int proc_fd, pid_t pid)
{
	char buf[4096], rel[32];
	int v1, v2;

	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	if (read_at(proc_fd, rel, buf, sizeof(buf)) < 0)
		return -ESRCH;
	v1 = thaw_one(roots->freezer_v1, &freezer_v1, buf, pid);
	v2 = thaw_one(roots->unified, &freezer_v2, buf, pid);
	if (v1 < 0)
		return v1;
	if (v2 < 0)
		return v2;
	return v1 || v2;
}
