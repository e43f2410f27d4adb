/* posix_fast_none.c - no fast paths (posix.h, "fast paths"): what macOS,
   the BSDs and the posix-generic configuration compile in place of
   posix_fast_linux.c.  A child is waited for by polling; a connection is
   made close-on-exec by new_pipe's fcntl. */
#include "posix.h"

#include <sys/socket.h>

int pipc__posix_exit_fd(pid_t pid) {
  (void)pid;
  return -1;
}

int pipc__posix_accept(int fd) { return accept(fd, NULL, NULL); }
