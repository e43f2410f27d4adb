/* posix_stream.c - this process's end of a child's standard stream: one
   end of a pipe, non-blocking, waited on with poll.  A pipe, as the child
   expects of its stdin / stdout (a socket would do for most programs, but
   not for one that opens /dev/stdout, which Linux refuses on a socket).
   A write to a child that closed its end is EPIPE and never a SIGPIPE the
   application sees: SIGPIPE is blocked in the writing thread for the
   write, and one it raised is taken back (unless one was pending before,
   which is the application's). */
#define _POSIX_C_SOURCE 200809L /* sigset_t, pthread_sigmask, sigwait */
#include "posix.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct pipc_os_stream {
  int fd;
  int writes; /* this process writes (the child's stdin) */
};

pipc_os_stream *pipc__posix_stream_make(int fd, int writes) {
  pipc_os_stream *s = (pipc_os_stream *)calloc(1, sizeof(*s));
  if (s == NULL) return NULL;
  s->fd = fd;
  s->writes = writes;
  return s;
}

/* Sleep until fd has `events` or the deadline: PIPC_OK (look again),
   PIPC_ETIMEDOUT, or an error. */
static int await(int fd, short events, int64_t deadline) {
  struct pollfd pfd;
  int64_t left = deadline < 0 ? -1 : deadline - pipc_os_now_ms();
  int r;
  if (deadline >= 0 && left <= 0) return PIPC_ETIMEDOUT;
  pfd.fd = fd;
  pfd.events = events;
  pfd.revents = 0;
  r = poll(&pfd, 1, left < 0 ? -1 : left > INT_MAX ? INT_MAX : (int)left);
  if (r < 0 && errno != EINTR) return pipc__posix_fail(errno);
  return PIPC_OK;
}

/* write(2) with no SIGPIPE for this process: -1 EPIPE instead. */
static ssize_t write_quiet(int fd, const void *buf, size_t len) {
  sigset_t pipe_only, old, pending;
  ssize_t r;
  int e, was_pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigpending(&pending);
  was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  r = write(fd, buf, len);
  e = errno;
  if (r < 0 && e == EPIPE && !was_pending) {
    int sig;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) sigwait(&pipe_only, &sig); /* ours: taken */
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = e;
  return r;
}

int pipc_os_stream_read(pipc_os_stream *s, void *buf, size_t cap, size_t *out_len,
                        int64_t deadline) {
  for (;;) {
    ssize_t r = read(s->fd, buf, cap);
    int rc;
    if (r > 0) {
      *out_len = (size_t)r;
      return PIPC_OK;
    }
    if (r == 0) return PIPC_ECLOSED; /* the child's end is closed, all read */
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return pipc__posix_fail(errno);
    if ((rc = await(s->fd, POLLIN, deadline)) != PIPC_OK) return rc;
  }
}

int pipc_os_stream_write(pipc_os_stream *s, const void *buf, size_t len, size_t *written,
                         int64_t deadline) {
  const char *p = (const char *)buf;
  size_t done = 0;
  while (done < len) {
    ssize_t r = write_quiet(s->fd, p + done, len - done);
    int rc;
    if (r > 0) {
      done += (size_t)r;
      continue;
    }
    if (r < 0 && errno == EPIPE) {
      *written = done;
      return PIPC_ECLOSED;
    }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      *written = done;
      return pipc__posix_fail(errno);
    }
    if ((rc = await(s->fd, POLLOUT, deadline)) != PIPC_OK) {
      *written = done;
      return rc;
    }
  }
  *written = done;
  return PIPC_OK;
}

int pipc_os_stream_ready(pipc_os_stream *s) {
  struct pollfd pfd;
  int r;
  pfd.fd = s->fd;
  pfd.events = s->writes ? POLLOUT : POLLIN;
  pfd.revents = 0;
  do {
    r = poll(&pfd, 1, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return pipc__posix_fail(errno);
  return r > 0; /* hung up or failed counts: the call says what */
}

intptr_t pipc_os_stream_wait_handle(pipc_os_stream *s) { return (intptr_t)s->fd; }

void pipc_os_stream_close(pipc_os_stream *s) {
  if (s == NULL) return;
  close(s->fd);
  free(s);
}
