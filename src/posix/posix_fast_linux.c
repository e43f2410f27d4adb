/* posix_fast_linux.c - the Linux fast paths of the POSIX backend (posix.h,
   "fast paths"): a pidfd to wait for a child without polling, a child
   that dies with its host (PR_SET_PDEATHSIG), close_range to keep a
   child's descriptors to what it is given, accept4 to
   take a connection close-on-exec in one call, notifiers in the abstract
   socket namespace (no file to leave behind).  The posix-generic
   configuration compiles posix_fast_none.c instead, to prove the portable
   paths.  (The futex is its own variant: posix_park_futex.c.) */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int pipc__posix_exit_fd(pid_t pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0); /* -1 on kernels before 5.3 */
#else
  (void)pid;
  return -1; /* headers older than the call */
#endif
}

/* PIDFD_GET_INFO (Linux 6.13; its exit status: 6.15), from
   <linux/pidfd.h>, which older headers lack: the first published layout
   (64 bytes, PIDFD_INFO_SIZE_VER0), which every later kernel takes. */
struct pipc_pidfd_info {
  uint64_t mask, cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code; /* a wait status */
};
#define PIPC_PIDFD_INFO_EXIT (1ull << 3)
#define PIPC_PIDFD_GET_INFO _IOWR(0xFF, 11, struct pipc_pidfd_info)

int pipc__posix_reaped_status(int fd, int *status) {
  struct pipc_pidfd_info info;
  int tries;
  if (fd < 0) return ECHILD;
  /* waitpid says ECHILD as soon as the reaper took the child; the kernel
     stores its status for the pidfd a moment later (release_task): look
     again for up to ~50 ms before deciding there is none */
  for (tries = 0; tries < 50; tries++) {
    memset(&info, 0, sizeof info);
    info.mask = PIPC_PIDFD_INFO_EXIT;
    if (ioctl(fd, PIPC_PIDFD_GET_INFO, &info) != 0)
      return ECHILD; /* ENOTTY, EINVAL: a kernel that keeps no status */
    if (info.mask & PIPC_PIDFD_INFO_EXIT) {
      *status = info.exit_code;
      return 0;
    }
    pipc_os_sleep_ms(1);
  }
  return ECHILD;
}

int pipc__posix_die_with_parent(pid_t host) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return errno;
  /* Set now; a host that ended before it did left this child to another
     parent (init, a subreaper): then it must not run at all. */
  if (getppid() != host) return ESRCH;
  return 0;
}

int pipc__posix_can_die_with_parent(void) { return 1; }

void pipc__posix_cloexec_from(int low, int max) {
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  if (syscall(SYS_close_range, (unsigned)low, ~0u, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
  for (; low < max; low++) fcntl(low, F_SETFD, FD_CLOEXEC); /* before Linux 5.11 */
}

int pipc__posix_pipe(int fd[2]) { return pipe2(fd, O_CLOEXEC); }

int pipc__posix_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

/* "\0pipc:w:UID:ID": abstract, so every process of the user finds it
   whatever its environment, and it goes with its socket. */
int pipc__posix_notifier_addr(uint64_t id, struct sockaddr_un *sa, socklen_t *len) {
  int n;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  n = snprintf(sa->sun_path + 1, sizeof sa->sun_path - 1, "pipc:w:%lu:%016llx",
               (unsigned long)geteuid(), (unsigned long long)id);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
  return 0;
}
