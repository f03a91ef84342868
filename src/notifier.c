/* SPDX-License-Identifier: MIT */
#include "notifier.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "sys.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define HOOK_QUEUE   32 /* kills waiting for a free hook slot */
#define HOOK_SLOTS   4  /* hooks running at once */
#define HOOK_CMD_MAX 4096
#define METRICS_MAX  32768

/* What a hook is told about its victim: copies, as the event's strings do not outlive it. */
struct hook_job {
	pid_t pid;
	uid_t uid;
	int adj;
	bool exited, reaped;
	uint64_t size_kib, freed_kib;
	char comm[64];
	char reason[40];
	char scope[256];
};

struct running_hook {
	pid_t pid; /* 0: free slot */
	int pidfd;
	pid_t victim;
	uint64_t deadline_usec;
	bool killed;
};

/* The settings as the thread uses them, copied so the caller's strings may go. */
struct settings {
	bool has_hook;
	char hook[HOOK_CMD_MAX];
	bool hook_as_user;
	uid_t hook_uid;
	gid_t hook_gid;
	unsigned hook_timeout_ms;
	bool has_metrics;
	char metrics_path[PATH_MAX];
};

struct notifier {
	pthread_t thread;
	bool started;
	int efd;

	pthread_mutex_t lock; /* guards everything down to "thread only" */
	bool stop;
	struct settings cfg;
	struct hook_job queue[HOOK_QUEUE];
	size_t q_head, q_len;
	char metrics_text[METRICS_MAX];
	size_t metrics_len;
	bool metrics_dirty;
	struct notifier_stats stats;

	/* The thread only. */
	struct settings run_cfg;
	struct running_hook running[HOOK_SLOTS];
	bool metrics_failing;
	char write_buf[METRICS_MAX];
};

static int copy_settings(struct settings *s, const struct notifier_config *cfg)
{
	size_t hook_len = cfg->hook ? strlen(cfg->hook) : 0;
	size_t path_len = cfg->metrics_path ? strlen(cfg->metrics_path) : 0;

	/* Room for the ".tmp" suffix of the atomic write. */
	if (hook_len >= sizeof(s->hook) || path_len + 5 > sizeof(s->metrics_path))
		return -ENAMETOOLONG;
	s->has_hook = cfg->hook != NULL;
	memcpy(s->hook, cfg->hook ? cfg->hook : "", hook_len + 1);
	s->hook_as_user = cfg->hook_as_user;
	s->hook_uid = cfg->hook_uid;
	s->hook_gid = cfg->hook_gid;
	s->hook_timeout_ms = cfg->hook_timeout_ms;
	s->has_metrics = cfg->metrics_path != NULL;
	memcpy(s->metrics_path, cfg->metrics_path ? cfg->metrics_path : "", path_len + 1);
	return 0;
}

static void wake(struct notifier *n)
{
	uint64_t one = 1;
	ssize_t w = write(n->efd, &one, sizeof(one));

	(void)w; /* EAGAIN: the counter is saturated, the thread is awake anyway */
}

int write_file_atomic(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	int fd, r = 0;

	if ((r = path_format(tmp, sizeof(tmp), "%s.tmp", path)) < 0)
		return r;
	/* A stale or planted file (or symlink) of that name is removed, not written through. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* Everything a forked child needs, prepared before fork(): the child only makes system calls. */
struct spawn {
	char *argv[4];
	char *envp[16];
	char env[12][320];
	bool as_user;
	uid_t uid;
	gid_t gid;
};

static void prepare_spawn(struct spawn *s, struct settings *cfg, const struct hook_job *j)
{
	size_t i = 0;

#define ENV(...) snprintf(s->env[i], sizeof(s->env[i]), __VA_ARGS__), s->envp[i] = s->env[i], i++
	ENV("REAPD_PID=%d", (int)j->pid);
	ENV("REAPD_COMM=%s", j->comm);
	ENV("REAPD_UID=%u", (unsigned)j->uid);
	ENV("REAPD_ADJ=%d", j->adj);
	ENV("REAPD_REASON=%s", j->reason);
	ENV("REAPD_FREED_KIB=%llu", (unsigned long long)j->freed_kib);
	ENV("REAPD_SIZE_KIB=%llu", (unsigned long long)j->size_kib);
	ENV("REAPD_EXITED=%d", j->exited);
	ENV("REAPD_REAPED=%d", j->reaped);
	ENV("REAPD_SCOPE=%s", j->scope);
	ENV("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
#undef ENV
	s->envp[i] = NULL;
	s->argv[0] = (char *)"/bin/sh";
	s->argv[1] = (char *)"-c";
	s->argv[2] = cfg->hook;
	s->argv[3] = NULL;
	s->as_user = cfg->hook_as_user;
	s->uid = cfg->hook_uid;
	s->gid = cfg->hook_gid;
}

/*
 * In the child, between fork() and exec: only system calls.  The hook must
 * not inherit what protects reapd: real-time priority, oom_score_adj -1000,
 * blocked signals, open descriptors, and (when configured) root.
 */
static __attribute__((noreturn)) void exec_hook(const struct spawn *s)
{
	struct sched_param sp = {0};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int fd;

	setpgid(0, 0);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sched_setscheduler(0, SCHED_OTHER, &sp);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, "0", 1);
		(void)w;
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (s->as_user &&
	    (setgroups(1, &s->gid) < 0 || setgid(s->gid) < 0 || setuid(s->uid) < 0))
		_exit(126);
	close_range(3, ~0U, 0);
	execve(s->argv[0], s->argv, s->envp);
	_exit(127);
}

static void spawn_hook(struct notifier *n, const struct hook_job *j)
{
	struct running_hook *slot = NULL;
	struct spawn s;
	pid_t pid;
	int pidfd;

	for (size_t i = 0; i < HOOK_SLOTS && !slot; i++)
		if (!n->running[i].pid)
			slot = &n->running[i];
	if (!slot)
		return; /* cannot happen: jobs are only taken for free slots */
	prepare_spawn(&s, &n->run_cfg, j);
	pid = fork();
	if (pid < 0) {
		log_warn_errno(-errno, "cannot run the kill hook for pid %d", (int)j->pid);
		goto failed;
	}
	if (pid == 0)
		exec_hook(&s);
	setpgid(pid, pid); /* also here, so a timeout can never miss the group */
	pidfd = sys_pidfd_open(pid);
	if (pidfd < 0) {
		/* Only the parent can reap it; without a pidfd, end it now. */
		log_warn_errno(pidfd, "cannot watch the kill hook for pid %d", (int)j->pid);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto failed;
	}
	*slot = (struct running_hook){
		.pid = pid,
		.pidfd = pidfd,
		.victim = j->pid,
		.deadline_usec = now_usec() + n->run_cfg.hook_timeout_ms * USEC_PER_MSEC,
	};
	pthread_mutex_lock(&n->lock);
	n->stats.hooks_run++;
	pthread_mutex_unlock(&n->lock);
	return;
failed:
	pthread_mutex_lock(&n->lock);
	n->stats.hooks_run++;
	n->stats.hooks_failed++;
	pthread_mutex_unlock(&n->lock);
}

/* Collects a hook that exited. */
static void finish_hook(struct notifier *n, struct running_hook *h)
{
	siginfo_t si = {0};
	bool failed;

	if (waitid((idtype_t)P_PIDFD, (id_t)h->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	failed = !h->killed && (si.si_code != CLD_EXITED || si.si_status != 0);
	if (h->killed)
		; /* already logged when it was killed */
	else if (si.si_code == CLD_EXITED && si.si_status != 0)
		log_warn("kill hook for pid %d exited with status %d", (int)h->victim,
			 si.si_status);
	else if (si.si_code != CLD_EXITED)
		log_warn("kill hook for pid %d died of %s", (int)h->victim,
			 sigabbrev_np(si.si_status) ? sigabbrev_np(si.si_status) : "a signal");
	else
		log_debug("kill hook for pid %d done", (int)h->victim);
	pthread_mutex_lock(&n->lock);
	if (failed)
		n->stats.hooks_failed++;
	else if (!h->killed)
		n->stats.hooks_ok++;
	pthread_mutex_unlock(&n->lock);
	close(h->pidfd);
	*h = (struct running_hook){0};
}

static void enforce_timeouts(struct notifier *n, uint64_t now)
{
	for (size_t i = 0; i < HOOK_SLOTS; i++) {
		struct running_hook *h = &n->running[i];

		if (!h->pid || h->killed || now < h->deadline_usec)
			continue;
		log_warn("kill hook for pid %d still running after %u ms; killing it", (int)h->victim,
			 n->run_cfg.hook_timeout_ms);
		/* Its whole process group, so a background child cannot linger. */
		if (kill(-h->pid, SIGKILL) < 0)
			sys_pidfd_send_signal(h->pidfd, SIGKILL);
		h->killed = true;
		pthread_mutex_lock(&n->lock);
		n->stats.hooks_timed_out++;
		pthread_mutex_unlock(&n->lock);
	}
}

static int poll_timeout_ms(const struct notifier *n, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < HOOK_SLOTS; i++)
		if (n->running[i].pid && !n->running[i].killed && n->running[i].deadline_usec < next)
			next = n->running[i].deadline_usec;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (int)((next - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
}

/*
 * At exit: hooks still running get up to a second more (a desktop notice
 * takes far less), then they and their process groups are killed, so reapd
 * leaves nothing behind.
 */
static void finish_all(struct notifier *n)
{
	uint64_t deadline = now_usec() + USEC_PER_SEC;

	for (;;) {
		struct pollfd pfd[HOOK_SLOTS];
		struct running_hook *who[HOOK_SLOTS];
		size_t m = 0;
		uint64_t now = now_usec();

		for (size_t i = 0; i < HOOK_SLOTS; i++)
			if (n->running[i].pid) {
				who[m] = &n->running[i];
				pfd[m++] = (struct pollfd){.fd = n->running[i].pidfd, .events = POLLIN};
			}
		if (m == 0)
			return;
		if (now >= deadline) {
			for (size_t i = 0; i < m; i++) {
				log_warn("kill hook for pid %d still running at exit; killing it",
					 (int)who[i]->victim);
				if (kill(-who[i]->pid, SIGKILL) < 0)
					sys_pidfd_send_signal(who[i]->pidfd, SIGKILL);
				who[i]->killed = true;
				waitid((idtype_t)P_PIDFD, (id_t)who[i]->pidfd, &(siginfo_t){0}, WEXITED);
				close(who[i]->pidfd);
				*who[i] = (struct running_hook){0};
			}
			return;
		}
		if (poll(pfd, m, (int)((deadline - now) / 1000) + 1) < 0 && errno != EINTR)
			deadline = now;
		for (size_t i = 0; i < m; i++)
			if (pfd[i].revents)
				finish_hook(n, who[i]);
	}
}

static void *notifier_thread(void *arg)
{
	struct notifier *n = arg;
	struct sched_param sp = {0};

	/* Forks, execs and file writes are no business of real-time priority. */
	pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);

	for (;;) {
		struct pollfd pfd[1 + HOOK_SLOTS];
		struct running_hook *who[1 + HOOK_SLOTS];
		struct hook_job jobs[HOOK_SLOTS];
		size_t nfds = 1, n_jobs = 0, free_slots = 0, metrics_len = 0;
		bool stop;

		pfd[0] = (struct pollfd){.fd = n->efd, .events = POLLIN};
		for (size_t i = 0; i < HOOK_SLOTS; i++) {
			if (!n->running[i].pid) {
				free_slots++;
				continue;
			}
			who[nfds] = &n->running[i];
			pfd[nfds++] = (struct pollfd){.fd = n->running[i].pidfd, .events = POLLIN};
		}
		if (poll(pfd, nfds, poll_timeout_ms(n, now_usec())) < 0 && errno != EINTR) {
			log_warn_errno(-errno, "notifier: poll failed");
			usleep(100000);
		}
		if (pfd[0].revents & POLLIN) {
			uint64_t v;
			ssize_t rd = read(n->efd, &v, sizeof(v));
			(void)rd;
		}
		for (size_t i = 1; i < nfds; i++) {
			if (pfd[i].revents) {
				finish_hook(n, who[i]);
				if (!who[i]->pid)
					free_slots++;
			}
		}
		enforce_timeouts(n, now_usec());

		pthread_mutex_lock(&n->lock);
		stop = n->stop;
		if (n->metrics_dirty) {
			metrics_len = n->metrics_len;
			memcpy(n->write_buf, n->metrics_text, metrics_len);
			n->metrics_dirty = false;
		}
		n->run_cfg = n->cfg;
		while (n->q_len && n_jobs < free_slots) {
			jobs[n_jobs++] = n->queue[n->q_head];
			n->q_head = (n->q_head + 1) % HOOK_QUEUE;
			n->q_len--;
		}
		if (stop && n->q_len) {
			log_warn("exiting with %zu kill hooks not run", n->q_len);
			n->stats.hooks_dropped += n->q_len;
			n->q_len = 0;
		}
		pthread_mutex_unlock(&n->lock);

		if (metrics_len && n->run_cfg.has_metrics) {
			int r = write_file_atomic(n->run_cfg.metrics_path, n->write_buf, metrics_len);

			pthread_mutex_lock(&n->lock);
			if (r < 0)
				n->stats.metrics_failed++;
			else
				n->stats.metrics_written++;
			pthread_mutex_unlock(&n->lock);
			/* One warning per failure streak, not one per write. */
			if (r < 0 && !n->metrics_failing)
				log_warn_errno(r, "cannot write the metrics file %s",
					       n->run_cfg.metrics_path);
			else if (r == 0 && n->metrics_failing)
				log_info("metrics file %s written again", n->run_cfg.metrics_path);
			n->metrics_failing = r < 0;
		}
		for (size_t i = 0; i < n_jobs; i++)
			if (n->run_cfg.has_hook)
				spawn_hook(n, &jobs[i]);
		if (stop)
			break;
	}
	finish_all(n);
	return NULL;
}

int notifier_new(const struct notifier_config *cfg, struct notifier **ret)
{
	struct notifier *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return -ENOMEM;
	n->efd = -1;
	pthread_mutex_init(&n->lock, NULL);
	if ((r = copy_settings(&n->cfg, cfg)) < 0)
		goto fail;
	n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->efd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = sys_thread_start(&n->thread, 0, notifier_thread, n)) < 0)
		goto fail;
	n->started = true;
	*ret = n;
	return 0;
fail:
	notifier_free(n);
	return r;
}

int notifier_configure(struct notifier *n, const struct notifier_config *cfg)
{
	struct settings s;
	int r = copy_settings(&s, cfg);

	if (r < 0)
		return r;
	pthread_mutex_lock(&n->lock);
	n->cfg = s;
	pthread_mutex_unlock(&n->lock);
	wake(n);
	return 0;
}

void notifier_free(struct notifier *n)
{
	if (!n)
		return;
	if (n->started) {
		pthread_mutex_lock(&n->lock);
		n->stop = true;
		pthread_mutex_unlock(&n->lock);
		wake(n);
		pthread_join(n->thread, NULL);
	}
	safe_close(n->efd);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void notifier_kill(struct notifier *n, const struct kill_event *ev)
{
	struct hook_job *j;
	bool dropped = false;

	if (ev->dry_run)
		return;
	pthread_mutex_lock(&n->lock);
	if (!n->cfg.has_hook) {
		pthread_mutex_unlock(&n->lock);
		return;
	}
	if (n->q_len == HOOK_QUEUE) {
		n->stats.hooks_dropped++;
		dropped = n->stats.hooks_dropped == 1 || n->stats.hooks_dropped % 100 == 0;
		pthread_mutex_unlock(&n->lock);
		if (dropped)
			log_warn("kill hooks are not keeping up: %d waiting; dropped the one for pid %d",
				 HOOK_QUEUE, (int)ev->pid);
		return;
	}
	j = &n->queue[(n->q_head + n->q_len++) % HOOK_QUEUE];
	*j = (struct hook_job){
		.pid = ev->pid,
		.uid = ev->uid,
		.adj = ev->oom_score_adj,
		.exited = ev->exited,
		.reaped = ev->reaped,
		.size_kib = ev->size_kib,
		.freed_kib = ev->freed_kib,
	};
	copy_str(j->comm, sizeof(j->comm), ev->comm);
	copy_str(j->reason, sizeof(j->reason), ev->reason);
	copy_str(j->scope, sizeof(j->scope), ev->scope);
	pthread_mutex_unlock(&n->lock);
	wake(n);
}

void notifier_metrics(struct notifier *n, const char *text, size_t len)
{
	if (len > sizeof(n->metrics_text))
		return;
	pthread_mutex_lock(&n->lock);
	if (!n->cfg.has_metrics) {
		pthread_mutex_unlock(&n->lock);
		return;
	}
	memcpy(n->metrics_text, text, len);
	n->metrics_len = len;
	n->metrics_dirty = true;
	pthread_mutex_unlock(&n->lock);
	wake(n);
}

bool notifier_wants_metrics(struct notifier *n)
{
	bool r;

	pthread_mutex_lock(&n->lock);
	r = n->cfg.has_metrics;
	pthread_mutex_unlock(&n->lock);
	return r;
}

void notifier_stats(struct notifier *n, struct notifier_stats *ret)
{
	pthread_mutex_lock(&n->lock);
	*ret = n->stats;
	pthread_mutex_unlock(&n->lock);
}
