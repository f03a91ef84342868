/* SPDX-License-Identifier: MIT */
#include "proctab.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgpref.h"
#include "parse.h"
#include "sys.h"

#define DENTS_BUF   32768
#define STAT_BUF    1024
#define STATUS_BUF  16384
#define PROCS_BUF   16384
/* Cgroup levels below the scope walked before the first proctab_grow_depth(). */
#define CG_DEPTH_DEFAULT 64
/* Each level walked holds a directory fd open; the fd limit bites long before this. */
#define CG_DEPTH_MAX     65536
#define SHARE_SLOTS  1024 /* smaps_rollup results kept, by pid */
#define LOAD_SLOTS   1024 /* loaded candidates kept for the next round, by pid */
/*
 * Rounds in quick succession (a fork storm, a fast allocator) reuse what the
 * last one loaded: reading stat and status costs ~25 µs a process, and a
 * bucket of hundreds of equal processes would be read whole again every
 * round.  A pid reused meanwhile is caught by proctab_verify() before the
 * signal; a process that started dying meanwhile costs a wasted signal.
 */
#define LOAD_REUSE_USEC (100 * USEC_PER_MSEC)

struct load_entry {
	pid_t pid;
	uint64_t stamp_usec;
	struct candidate c;
};
#define SHARE_MAX_AGE_USEC (30 * USEC_PER_SEC)

/*
 * A sharer's smaps_rollup result: reading it walks the process's page
 * tables, so rounds in quick succession reuse it while the process is the
 * same one and its anonymous memory has not moved by more than an eighth.
 */
struct share_entry {
	pid_t pid;
	uint64_t start_time;
	uint64_t anon_kib;     /* RssAnon when measured */
	uint64_t freeable_kib; /* what smaps_rollup said its death frees */
	uint64_t stamp_usec;
};

/* One directory of the cgroup walk: its fd, where its next entry is, its preference. */
struct cg_frame {
	int fd;
	int64_t off;
	uint8_t pref; /* enum cg_pref: its own or an ancestor's below the scope, the strongest */
};

struct proctab {
	int proc_fd;
	int scope_fd;
	pid_t self;
	struct candidate *cands;
	size_t capacity;
	size_t n;
	size_t seen;
	int min_adj;  /* the scan's floor on the adj as read */
	uid_t scope_uid; /* the scope directory's owner, read at each scan */
	/*
	 * System scope: the cgroup v2 mount's path (its first unified_len
	 * bytes; 0: none, preferences are not looked up), then room for a
	 * candidate's cgroup path (PATH_MAX).
	 */
	char *cgpath;
	size_t unified_len;
	bool names;   /* the scan reads each candidate's name */
	bool overflowed;
	struct cg_frame *frames; /* the walk's stack: frames[0] is the scope */
	size_t depth;            /* frames allocated */
	size_t unwalked;         /* cgroups the last scan could not walk */
	bool too_deep;           /* some of them lay deeper than the frames reach */
	char *dents;  /* DENTS_BUF */
	char *stat;   /* STAT_BUF */
	char *status; /* STATUS_BUF */
	char *procs;  /* PROCS_BUF */
	struct share_entry shares[SHARE_SLOTS];
	struct load_entry loads[LOAD_SLOTS];
	struct cgpref_cache prefs; /* system scope: preferences found this scan */
};

int proctab_new(const struct proctab_config *cfg, struct proctab **ret)
{
	struct proctab *pt = calloc(1, sizeof(*pt));
	int r;

	if (!pt)
		return -ENOMEM;
	pt->scope_fd = cfg->scope_dirfd;
	pt->self = cfg->self;
	pt->capacity = cfg->capacity ? cfg->capacity : 1;
	pt->depth = cfg->cg_depth ? cfg->cg_depth : CG_DEPTH_DEFAULT;
	if (pt->depth > CG_DEPTH_MAX)
		pt->depth = CG_DEPTH_MAX;
	pt->proc_fd = open(cfg->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pt->proc_fd < 0) {
		r = -errno;
		free(pt);
		return r;
	}
	pt->cands = calloc(pt->capacity, sizeof(*pt->cands));
	pt->dents = malloc(DENTS_BUF);
	pt->stat = malloc(STAT_BUF);
	pt->status = malloc(STATUS_BUF);
	pt->procs = malloc(PROCS_BUF);
	/* Without it (no cgroup v2, a fixture without one) preferences are not looked up. */
	if (pt->scope_fd < 0 && cfg->unified && access(cfg->unified, F_OK) == 0)
		pt->unified_len = strlen(cfg->unified);
	pt->cgpath = malloc(pt->unified_len + PATH_MAX);
	pt->frames = calloc(pt->depth, sizeof(*pt->frames));
	if (!pt->cands || !pt->dents || !pt->stat || !pt->status || !pt->procs ||
	    !pt->cgpath || !pt->frames) {
		proctab_free(pt);
		return -ENOMEM;
	}
	/* Back every buffer now so a scan under pressure does not fault pages in. */
	prefault(pt->cands, pt->capacity * sizeof(*pt->cands));
	prefault(pt->dents, DENTS_BUF);
	prefault(pt->stat, STAT_BUF);
	prefault(pt->status, STATUS_BUF);
	prefault(pt->procs, PROCS_BUF);
	prefault(pt->cgpath, pt->unified_len + PATH_MAX);
	if (pt->unified_len)
		memcpy(pt->cgpath, cfg->unified, pt->unified_len);
	prefault(&pt->prefs, sizeof(pt->prefs));
	prefault(pt->frames, pt->depth * sizeof(*pt->frames));
	prefault(pt->loads, sizeof(pt->loads));
	prefault(pt->shares, sizeof(pt->shares));
	*ret = pt;
	return 0;
}

void proctab_free(struct proctab *pt)
{
	if (!pt)
		return;
	safe_close(pt->proc_fd);
	free(pt->cands);
	free(pt->cgpath);
	free(pt->dents);
	free(pt->stat);
	free(pt->status);
	free(pt->procs);
	free(pt->frames);
	free(pt);
}

bool proctab_overflowed(const struct proctab *pt)
{
	return pt->overflowed;
}

size_t proctab_seen(const struct proctab *pt)
{
	return pt->seen;
}

size_t proctab_capacity(const struct proctab *pt)
{
	return pt->capacity;
}

size_t proctab_unwalked(const struct proctab *pt)
{
	return pt->unwalked;
}

bool proctab_too_deep(const struct proctab *pt)
{
	return pt->too_deep;
}

size_t proctab_depth(const struct proctab *pt)
{
	return pt->depth;
}

int proctab_grow_depth(struct proctab *pt)
{
	size_t depth = pt->depth * 2;
	struct cg_frame *f;

	if (pt->depth >= CG_DEPTH_MAX)
		return -E2BIG;
	if (depth > CG_DEPTH_MAX)
		depth = CG_DEPTH_MAX;
	f = calloc(depth, sizeof(*f));
	if (!f)
		return -ENOMEM;
	prefault(f, depth * sizeof(*f));
	free(pt->frames);
	pt->frames = f;
	pt->depth = depth;
	return 0;
}

int proctab_grow(struct proctab *pt)
{
	size_t cap = pt->capacity * 2;
	struct candidate *c = calloc(cap, sizeof(*c));

	if (!c)
		return -ENOMEM;
	prefault(c, cap * sizeof(*c));
	free(pt->cands);
	pt->cands = c;
	pt->capacity = cap;
	pt->n = 0;
	return 0;
}

/* Reads /proc/<pid>/<name> into @buf. Returns the length or -errno. */
static ssize_t read_pid_file(struct proctab *pt, pid_t pid, const char *name, char *buf,
			     size_t size)
{
	char path[32];

	snprintf(path, sizeof(path), "%d/%s", (int)pid, name);
	return read_at(pt->proc_fd, path, buf, size);
}

/* Reads the process name from /proc/<pid>/comm into @c->comm. */
static int read_comm(struct proctab *pt, struct candidate *c)
{
	char buf[COMM_LEN + 2];
	ssize_t n = read_pid_file(pt, c->pid, "comm", buf, sizeof(buf));
	size_t len;

	if (n < 0 && n != -EOVERFLOW)
		return (int)n;
	/*
	 * A name is any bytes but NUL, a newline included: only the one the
	 * kernel appends goes, so a rule sees what /proc/<pid>/stat shows.
	 */
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len >= COMM_LEN)
		len = COMM_LEN - 1;
	memcpy(c->comm, buf, len);
	c->comm[len] = '\0';
	return 0;
}

/*
 * Looks at one pid: reads its adj and adds it to the table if it may be a
 * candidate, with @pref, its cgroup's preference (omitted ones kept, skipped,
 * so that `reapctl victims` shows why).
 */
static void consider(struct proctab *pt, pid_t pid, uint8_t pref)
{
	struct candidate c;
	char buf[16];
	long adj;
	ssize_t n;

	pt->seen++;
	if (pid <= 1 || pid == pt->self)
		return;
	n = read_pid_file(pt, pid, "oom_score_adj", buf, sizeof(buf));
	if (n <= 0)
		return; /* gone, or a hostile/unreadable entry: not a candidate */
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int_range(buf, ADJ_MIN, ADJ_MAX, &adj) < 0 || adj == ADJ_MIN)
		return;
	/* The cheap part of the policy's filter, before any name is read (policy_scan_floor()). */
	if (adj < pt->min_adj)
		return;
	c = (struct candidate){.pid = pid, .adj = (int16_t)adj, .eff_adj = (int16_t)adj,
			       .cg_pref = pref};
	if (pref == CG_PREF_OMIT)
		c.skip = SKIP_OMITTED;
	if (pt->names && read_comm(pt, &c) < 0)
		return;
	if (pt->n >= pt->capacity) {
		pt->overflowed = true;
		return;
	}
	pt->cands[pt->n++] = c;
}

/* Walks /proc with getdents64 and considers every numeric entry. */
static int scan_proc(struct proctab *pt)
{
	if (lseek(pt->proc_fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n = sys_getdents64(pt->proc_fd, pt->dents, DENTS_BUF);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(pt->dents + off);
			int pid = parse_pid(d->d_name);

			if (pid > 0)
				consider(pt, pid, CG_PREF_NONE);
			off += d->d_reclen;
		}
	}
}

/*
 * Reads cgroup.procs of the cgroup at @dirfd and considers every pid in it.
 * Opened afresh for every scan, even the scope's own: cgroup v1 keeps the pid
 * list it built for an open file and serves it again, up to a second stale,
 * to a reader that seeks back to the start.
 */
static int scan_cgroup_procs(struct proctab *pt, int dirfd, uint8_t pref)
{
	size_t carry = 0;
	int fd = open_at(dirfd, "cgroup.procs", O_RDONLY);

	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n = read(fd, pt->procs + carry, PROCS_BUF - 1 - carry);
		char *line, *end;

		if (n < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		end = pt->procs + carry + n;
		*end = '\0';
		line = pt->procs;
		for (char *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			int pid;
			*nl = '\0';
			pid = parse_pid(line);
			if (pid > 0)
				consider(pt, pid, pref);
		}
		carry = (size_t)(end - line);
		if (n == 0) {
			/* A last pid without a newline. */
			int pid = carry ? parse_pid(line) : -1;
			if (pid > 0)
				consider(pt, pid, pref);
			break;
		}
		memmove(pt->procs, line, carry);
		if (carry >= PROCS_BUF - 1)
			carry = 0; /* a line that long is not a pid */
	}
	close(fd);
	return 0;
}

/* A cgroup gone while it was walked is no loss; anything else is a cgroup not looked at. */
static bool removed(int r)
{
	return r == -ENOENT || r == -ENODEV;
}

/*
 * Opens the next child cgroup of @f, from where the last call stopped, into
 * @ret_fd.  The dents buffer is re-read from @f->off each time: deeper levels
 * overwrite it in between.  Children that cannot be opened are counted as
 * unwalked.  Returns 1 with a child, 0 when none is left, or -errno when the
 * directory cannot be read.
 */
static int next_child(struct proctab *pt, struct cg_frame *f, int *ret_fd)
{
	for (;;) {
		ssize_t n;

		if (lseek(f->fd, f->off, SEEK_SET) < 0)
			return -errno;
		n = sys_getdents64(f->fd, pt->dents, DENTS_BUF);
		if (n <= 0)
			return (int)n;
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(pt->dents + off);
			int fd;

			off += d->d_reclen;
			f->off = d->d_off;
			if (d->d_type != DT_DIR || d->d_name[0] == '.')
				continue;
			fd = open_at(f->fd, d->d_name, O_RDONLY | O_DIRECTORY);
			if (fd >= 0) {
				*ret_fd = fd;
				return 1;
			}
			if (!removed(fd))
				pt->unwalked++; /* EMFILE, EACCES, ...: its whole subtree is missed */
		}
	}
}

/* Counts the child cgroups of the cgroup at @dirfd. Returns the count or -errno. */
static int count_children(struct proctab *pt, int dirfd)
{
	int count = 0;

	if (lseek(dirfd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n = sys_getdents64(dirfd, pt->dents, DENTS_BUF);

		if (n <= 0)
			return n < 0 ? (int)n : count;
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(pt->dents + off);

			off += d->d_reclen;
			if (d->d_type == DT_DIR && d->d_name[0] != '.')
				count++;
		}
	}
}

/*
 * Considers the processes of the scope and of every cgroup below it, at any
 * depth.  The walk is iterative, with a stack of (directory fd, offset)
 * allocated at start-up: no recursion on the locked stack, no allocation.  A
 * cgroup one level below the deepest frame still has its processes read; its
 * children are counted as unwalked and too_deep is set, for the caller to
 * grow the stack off the kill path.  Returns 0, or -errno when the scope
 * itself cannot be read.
 */
static int scan_cgroup_tree(struct proctab *pt)
{
	struct stat st;
	size_t sp = 0;
	int r;

	/* The scope's own preference is not read: it is what is watched, as systemd-oomd's prefix. */
	pt->scope_uid = fstat(pt->scope_fd, &st) == 0 ? st.st_uid : 0;
	r = scan_cgroup_procs(pt, pt->scope_fd, CG_PREF_NONE);
	if (r < 0)
		return r;
	pt->frames[sp++] = (struct cg_frame){.fd = pt->scope_fd, .off = 0, .pref = CG_PREF_NONE};
	while (sp > 0) {
		struct cg_frame *f = &pt->frames[sp - 1];
		uint8_t pref;
		int sub = -1;

		r = next_child(pt, f, &sub);
		if (r <= 0) {
			if (sp == 1) /* the scope: not ours to close */
				return r;
			if (r < 0 && !removed(r))
				pt->unwalked++;
			close(f->fd);
			sp--;
			continue;
		}
		pref = cgpref_read(sub, pt->scope_uid);
		if (pref < f->pref)
			pref = f->pref; /* a cgroup is part of what its ancestors are */
		r = scan_cgroup_procs(pt, sub, pref);
		if (r < 0) {
			if (!removed(r))
				pt->unwalked++;
			close(sub);
			continue;
		}
		if (sp == pt->depth) {
			r = count_children(pt, sub);
			if (r != 0 && !(r < 0 && removed(r))) {
				pt->unwalked += r > 0 ? (size_t)r : 1;
				pt->too_deep = true;
			}
			close(sub);
			continue;
		}
		pt->frames[sp++] = (struct cg_frame){.fd = sub, .off = 0, .pref = pref};
	}
	return 0;
}

int proctab_scan(struct proctab *pt, int min_adj, bool names, struct candidate **ret_cands)
{
	int r;

	pt->n = 0;
	pt->seen = 0;
	pt->overflowed = false;
	pt->unwalked = 0;
	pt->too_deep = false;
	pt->min_adj = min_adj;
	pt->names = names;
	cgpref_cache_next(&pt->prefs);
	if (pt->scope_fd < 0) {
		struct stat st;

		/* The system's owner is the v2 root's: only root's cgroups may be marked. */
		pt->scope_uid = 0;
		if (pt->unified_len) {
			pt->cgpath[pt->unified_len] = '\0';
			if (stat(pt->cgpath, &st) == 0)
				pt->scope_uid = st.st_uid;
		}
		r = scan_proc(pt);
	} else {
		r = scan_cgroup_tree(pt);
	}
	if (r < 0)
		return r;
	*ret_cands = pt->cands;
	return (int)pt->n;
}

static int load_candidate(struct proctab *pt, struct candidate *c);

void proctab_system_pref(struct proctab *pt, struct candidate *c)
{
	/* /proc/<pid>/cgroup is read into the status buffer: nothing else is in it between calls. */
	if (!pt->unified_len ||
	    read_pid_file(pt, c->pid, "cgroup", pt->status, STATUS_BUF) <= 0 ||
	    parse_proc_cgroup(pt->status, "", pt->cgpath + pt->unified_len, PATH_MAX) < 0)
		return;
	c->cg_pref = cgpref_of_path(&pt->prefs, pt->cgpath, pt->unified_len, pt->scope_uid);
	if (c->cg_pref == CG_PREF_OMIT && c->skip == SKIP_NONE)
		c->skip = SKIP_OMITTED;
}

/* Fills @c's loaded fields from @from (the scan's adj, the policy's eff_adj and comm stay). */
static void copy_loaded(struct candidate *c, const struct candidate *from)
{
	c->start_time = from->start_time;
	c->uid = from->uid;
	if (c->comm[0] == '\0')
		memcpy(c->comm, from->comm, COMM_LEN);
	c->ppid = from->ppid;
	c->anon_kib = from->anon_kib;
	c->shmem_kib = from->shmem_kib;
	c->size_kib = from->size_kib;
	/* What the loader found; a mark since (pending, omitted) stays, an old omit is not the loader's. */
	if (c->skip == SKIP_NONE && from->skip != SKIP_OMITTED)
		c->skip = from->skip;
}

int proctab_load(void *ctx, struct candidate *c)
{
	struct proctab *pt = ctx;
	struct load_entry *e = &pt->loads[(unsigned)c->pid % LOAD_SLOTS];
	uint64_t now = now_usec();
	int r;

	if (e->pid == c->pid && now - e->stamp_usec < LOAD_REUSE_USEC) {
		copy_loaded(c, &e->c);
		return 0;
	}
	r = load_candidate(pt, c);
	if (r == 0) {
		e->pid = c->pid;
		e->stamp_usec = now;
		e->c = *c;
	}
	return r;
}

/* Reads @c's stat and status (proctab_load() without the cache). */
static int load_candidate(struct proctab *pt, struct candidate *c)
{
	struct proc_stat st;
	struct proc_status ss;
	ssize_t n;
	size_t len;

	n = read_pid_file(pt, c->pid, "stat", pt->stat, STAT_BUF);
	if (n < 0)
		return (int)n;
	if (parse_proc_stat(pt->stat, &st) < 0)
		return -EINVAL;
	n = read_pid_file(pt, c->pid, "status", pt->status, STATUS_BUF);
	if (n < 0 && n != -EOVERFLOW)
		return (int)n;
	if (parse_proc_status(pt->status, &ss) < 0)
		return -EINVAL;

	c->start_time = st.start_time;
	c->uid = ss.uid;
	if (c->comm[0] == '\0') {
		len = strlen(st.comm);
		if (len >= COMM_LEN)
			len = COMM_LEN - 1;
		memcpy(c->comm, st.comm, len);
		c->comm[len] = '\0';
	}
	c->ppid = st.ppid;
	c->anon_kib = ss.rss_anon_kib;
	c->shmem_kib = ss.rss_shmem_kib;
	/* Shared memory outlives its mappers; copy-on-write sharing is the refiner's to find. */
	c->size_kib = ss.rss_anon_kib + ss.swap_kib;

	if (st.flags & PF_KTHREAD_FLAG)
		c->skip = SKIP_KTHREAD;
	else if (st.state == 'Z' || st.state == 'X' || st.state == 'x' ||
		 (st.flags & PF_EXITING_FLAG) || sigmask_has_sigkill(ss.shdpnd))
		c->skip = SKIP_DYING;
	else if (!ss.has_mm)
		c->skip = SKIP_EMPTY;
	return 0;
}

/*
 * True when @c may share anonymous memory copy-on-write with another
 * process: it has children, or its parent has its name (forked, not
 * exec'd).  Only then is smaps_rollup worth its cost, which grows with the
 * process's size (page tables are walked: about 13 µs per MiB measured).
 */
static bool may_share(struct proctab *pt, const struct candidate *c)
{
	char path[48], buf[COMM_LEN + 2];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/task/%d/children", (int)c->pid, (int)c->pid);
	n = read_at(pt->proc_fd, path, buf, sizeof(buf));
	if (n > 0 || n == -EOVERFLOW)
		return true;
	if (c->ppid <= 1)
		return false;
	snprintf(path, sizeof(path), "%d/comm", (int)c->ppid);
	n = read_at(pt->proc_fd, path, buf, sizeof(buf));
	if (n <= 0)
		return false;
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return strncmp(buf, c->comm, COMM_LEN) == 0;
}

/* FNV-1a over @len bytes, continuing from @h. */
/* Lowers @c->size_kib to what smaps_rollup says its death frees (or a fresh cached answer). */
static int refine_sharer(struct proctab *pt, struct candidate *c)
{
	struct share_entry *e = &pt->shares[(unsigned)c->pid % SHARE_SLOTS];
	uint64_t now = now_usec(), freeable, diff;
	struct smaps_rollup sr;
	ssize_t n;

	diff = e->anon_kib > c->anon_kib ? e->anon_kib - c->anon_kib : c->anon_kib - e->anon_kib;
	if (e->pid == c->pid && e->start_time == c->start_time &&
	    now - e->stamp_usec < SHARE_MAX_AGE_USEC && diff <= c->anon_kib / 8) {
		/* Anonymous memory gained since is its own. */
		freeable = e->freeable_kib + (c->anon_kib > e->anon_kib ? diff : 0);
	} else {
		n = read_pid_file(pt, c->pid, "smaps_rollup", pt->status, STATUS_BUF);
		if (n == -ENOENT || n == -ESRCH)
			return -ESRCH;
		if ((n < 0 && n != -EOVERFLOW) || parse_smaps_rollup(pt->status, &sr) < 0)
			return 0; /* no rollup (old kernel, no access): the estimate stays as loaded */
		freeable = smaps_freeable_kib(&sr);
		*e = (struct share_entry){.pid = c->pid, .start_time = c->start_time,
					  .anon_kib = c->anon_kib, .freeable_kib = freeable,
					  .stamp_usec = now};
	}
	if (freeable < c->size_kib)
		c->size_kib = freeable;
	return 0;
}

int proctab_refine(void *ctx, struct candidate *c)
{
	struct proctab *pt = ctx;
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, &c->uid, sizeof(c->uid));
	ssize_t n;

	/* Here, not in the loader: only for the few the walk takes, not whole buckets. */
	proctab_system_pref(pt, c);
	if (c->skip == SKIP_OMITTED)
		return 0;
	/* Who it is, beyond its pid: a respawned service has the same command line. */
	n = read_pid_file(pt, c->pid, "cmdline", pt->status, STATUS_BUF);
	if (n == -ENOENT || n == -ESRCH)
		return -ESRCH;
	if (n > 0 || n == -EOVERFLOW)
		h = hash_fnv1a(h, pt->status, n > 0 ? (size_t)n : STATUS_BUF - 1);
	else
		h = hash_fnv1a(h, c->comm, strnlen(c->comm, COMM_LEN));
	c->cmd_hash = h ? h : 1;

	if (!may_share(pt, c))
		return 0;
	return refine_sharer(pt, c);
}

size_t proctab_count_comm(const struct proctab *pt, const char *comm, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < pt->n && n < max; i++)
		if (pt->cands[i].loaded && strncmp(pt->cands[i].comm, comm, COMM_LEN) == 0)
			n++;
	return n;
}

int proctab_verify(struct proctab *pt, const struct candidate *c)
{
	struct proc_stat st;
	ssize_t n = read_pid_file(pt, c->pid, "stat", pt->stat, STAT_BUF);

	if (n == -ENOENT)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	if (parse_proc_stat(pt->stat, &st) < 0)
		return -EINVAL;
	return st.start_time == c->start_time ? 0 : -ESTALE;
}
