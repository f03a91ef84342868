/* SPDX-License-Identifier: MIT */
/*
 * enosys-exec NR... -- COMMAND [ARGS]: runs COMMAND under a seccomp filter
 * that makes the listed system calls fail with ENOSYS, as on a kernel that
 * lacks them.  The tests use it to run reapd on a "kernel" without
 * process_mrelease (448).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "enosys-exec: add this architecture's AUDIT_ARCH"
#endif

#define MAX_NR 16

int main(int argc, char **argv)
{
	struct sock_filter f[4 + 2 * MAX_NR + 1];
	struct sock_fprog prog;
	size_t n = 0, count = 0;
	int i = 1;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *end;
		unsigned long nr = strtoul(argv[i], &end, 10);

		if (*end || count == MAX_NR) {
			fprintf(stderr, "enosys-exec: bad syscall number '%s'\n", argv[i]);
			return 2;
		}
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
		count++;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	if (i + 1 >= argc || count == 0) {
		fprintf(stderr, "usage: enosys-exec NR... -- COMMAND [ARGS]\n");
		return 2;
	}
	prog = (struct sock_fprog){.len = (unsigned short)n, .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("enosys-exec: seccomp");
		return 1;
	}
	execvp(argv[i + 1], argv + i + 1);
	perror("enosys-exec: exec");
	return 127;
}
