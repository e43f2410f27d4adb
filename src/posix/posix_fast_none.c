/* posix_fast_none.c - no fast paths (posix.h, "fast paths"): what macOS,
   the BSDs and the posix-generic configuration compile in place of
   posix_fast_linux.c.  A child is waited for by polling (or a watcher
   thread), and cannot be made to die with its host; a connection is
   made close-on-exec by new_pipe's fcntl.  A notifier is a socket file in
   /tmp/pipc-UID. */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int pipc__posix_exit_fd(pid_t pid) {
  (void)pid;
  return -1;
}

/* No portable way for a child to follow its parent (FreeBSD's procctl
   PROC_PDEATHSIG_CTL could, macOS has none): PIPC_SPAWN_DIE_WITH_HOST is
   PIPC_ENOTSUP here, said before anything starts. */
int pipc__posix_die_with_parent(pid_t host) {
  (void)host;
  return ENOTSUP;
}

int pipc__posix_can_die_with_parent(void) { return 0; }

int pipc__posix_reaped_status(int fd, int *status) {
  (void)fd;
  (void)status;
  return ECHILD; /* no exit descriptor keeps it */
}

void pipc__posix_cloexec_from(int low, int max) {
  for (; low < max; low++) fcntl(low, F_SETFD, FD_CLOEXEC);
}

int pipc__posix_pipe(int fd[2]) {
  if (pipe(fd) != 0) return -1;
  fcntl(fd[0], F_SETFD, FD_CLOEXEC);
  fcntl(fd[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

int pipc__posix_accept(int fd) { return accept(fd, NULL, NULL); }

/* /tmp/pipc-UID/.w.ID: a name no pipc object can have (a leading '.'). */
static char tmp_dir[64];
static int tmp_dir_rc = PIPC_EAGAIN;
static pthread_once_t tmp_dir_once = PTHREAD_ONCE_INIT;

/* The directory is made and checked once per process: a signal is then
   one system call (the sendto). */
static void tmp_dir_find(void) { tmp_dir_rc = pipc__posix_tmp_dir(tmp_dir, sizeof tmp_dir); }

int pipc__posix_notifier_addr(uint64_t id, struct sockaddr_un *sa, socklen_t *len) {
  const char *dir = tmp_dir;
  int rc;
  pthread_once(&tmp_dir_once, tmp_dir_find);
  if ((rc = tmp_dir_rc) != PIPC_OK) return rc;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  snprintf(sa->sun_path, sizeof sa->sun_path, "%s/.w.%016llx", dir, (unsigned long long)id);
  *len = (socklen_t)sizeof *sa;
  return 1;
}
