/* posix_fast_none.c - no fast paths (posix.h, "fast paths"): what macOS,
   the BSDs and the posix-generic configuration compile in place of
   posix_fast_linux.c.  A child is waited for by polling; a connection is
   made close-on-exec by new_pipe's fcntl.  A notifier is a socket file in
   /tmp/pipc-UID. */
#include "posix.h"

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

int pipc__posix_accept(int fd) { return accept(fd, NULL, NULL); }

/* /tmp/pipc-UID/.w.ID: a name no pipc object can have (a leading '.'). */
int pipc__posix_notifier_addr(uint64_t id, struct sockaddr_un *sa, socklen_t *len) {
  char dir[64];
  int rc = pipc__posix_tmp_dir(dir, sizeof dir);
  if (rc != PIPC_OK) return rc;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  snprintf(sa->sun_path, sizeof sa->sun_path, "%s/.w.%016llx", dir, (unsigned long long)id);
  *len = (socklen_t)sizeof *sa;
  return 1;
}
