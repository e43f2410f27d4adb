/* posix_process.c - spawn with posix_spawnp (exec errors come back to the
   caller), wait with an exit descriptor where the OS gives one (a pidfd,
   posix_fast_linux.c), or one a watcher thread makes once the child is
   waited on by handle (pipc_wait, a watch), or by polling. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* SO_NOSIGPIPE is set on the socket instead */
#endif
#include <sys/socket.h>

struct pipc_os_process {
  pid_t pid;
  int pidfd; /* readable once it has ended: a pidfd, or a watcher thread's
                socket (pipc_os_process_wait_handle); -1 if none */
};

/* 0 if argv0 names a program exec could run (as execvp finds it), else
   the errno.  posix_spawnp reports exec failures itself on glibc >= 2.24
   and macOS, but where it runs the child by fork + exec (older libcs, and
   under valgrind) a missing program is a child exiting 127: look first, so
   PIPC_ENOENT means the same everywhere. */
static int findable(const char *argv0) {
  const char *path, *dir;
  char buf[PATH_MAX];
  int err = ENOENT;
  if (strchr(argv0, '/')) return access(argv0, X_OK) == 0 ? 0 : errno;
  path = getenv("PATH");
  if (path == NULL || *path == 0) path = "/usr/bin:/bin";
  for (dir = path;; dir = strchr(dir, ':') + 1) {
    size_t n = strcspn(dir, ":");
    if ((size_t)snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, n ? dir : ".", "/", argv0) <
        sizeof buf) {
      if (access(buf, X_OK) == 0) return 0;
      if (errno == EACCES) err = EACCES;
    }
    if (dir[n] == 0) return err;
  }
}

int pipc_os_process_spawn(const char *const argv[], pipc_os_process **out) {
  pipc_os_process *p;
  posix_spawnattr_t attr;
  sigset_t none, dfl;
  int err;

  if ((err = findable(argv[0])) != 0) return pipc__posix_fail(err);
  p = (pipc_os_process *)calloc(1, sizeof(*p));
  if (p == NULL) return PIPC_ENOMEM;
  p->pidfd = -1;
  /* The child starts with no blocked signals and SIGPIPE at its default,
     whatever this process did with them. */
  posix_spawnattr_init(&attr);
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &dfl);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  err = posix_spawnp(&p->pid, argv[0], NULL, &attr, (char *const *)argv,
                     pipc__posix_environ());
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    free(p);
    /* ENOEXEC: executable, but no program (no ELF, no #!): as Windows'
       ERROR_BAD_EXE_FORMAT, the file cannot be run */
    return err == ENOEXEC ? pipc__os_fail(PIPC_EACCES, err) : pipc__posix_fail(err);
  }
  p->pidfd = pipc__posix_exit_fd(p->pid);
  *out = p;
  return PIPC_OK;
}

static int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

/* One non-blocking look: 1 reaped, 0 still running, <0 error. */
static int try_reap(pipc_os_process *p, int *code) {
  int status;
  pid_t r;
  do {
    r = waitpid(p->pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return pipc__posix_fail(errno);
  if (r == 0) return 0;
  *code = decode(status);
  return 1;
}

int pipc_os_process_wait(pipc_os_process *p, int64_t deadline, int *code) {
  int nap = 1, r;
  for (;;) {
    int64_t left;
    r = try_reap(p, code);
    if (r != 0) return r < 0 ? r : PIPC_OK;
    left = deadline < 0 ? INT_MAX : deadline - pipc_os_now_ms();
    if (left <= 0) return PIPC_ETIMEDOUT;
    if (p->pidfd >= 0) {
      struct pollfd pfd;
      pfd.fd = p->pidfd;
      pfd.events = POLLIN;
      poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
      continue;
    }
    /* Portable: poll the child, backing off to 20 ms between looks. */
    pipc_os_sleep_ms(left < nap ? (int)left : nap);
    if (nap < 20) nap *= 2;
  }
}

int pipc_os_process_ended(pipc_os_process *p) {
  siginfo_t si;
  if (p->pidfd >= 0) { /* readable once it has ended */
    int r = pipc__posix_readable_now(p->pidfd);
    if (r >= 0) return r;
  }
  /* Without reaping it (WNOWAIT): pipc_process_wait does that. */
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno == EINTR) return 0;
    return pipc__posix_fail(errno);
  }
  return si.si_pid != 0;
}

/* Where the OS gives no exit descriptor (no pidfd: macOS, the BSDs, the
   posix-generic build, Linux before 5.3), a watcher thread makes one: it
   waits for the child's end without reaping it (waitid WNOWAIT; ECHILD
   once pipc_process_wait has reaped it) and then writes to a socket pair
   whose other end is the descriptor.  One thread per child that is waited
   on this way, detached; it ends with the child (or at once if the child
   was reaped first).  No signal handler is installed, nothing is inherited
   by the child. */
typedef struct exit_watch {
  pid_t pid;
  int fd; /* the watcher's end */
} exit_watch;

static void *exit_watcher(void *arg) {
  exit_watch *w = (exit_watch *)arg;
  siginfo_t si;
  while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  send(w->fd, "x", 1, MSG_NOSIGNAL); /* the reader may be gone: no SIGPIPE */
  close(w->fd);
  free(w);
  return NULL;
}

static int exit_watch_start(pid_t pid) {
  int sv[2];
  exit_watch *w;
  pthread_t t;
  pthread_attr_t a;
#ifdef SOCK_CLOEXEC /* at once: a spawn by another thread would pass it on */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
#endif
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return -1;
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  fcntl(sv[1], F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE /* macOS, the BSDs: no MSG_NOSIGNAL */
  {
    int one = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
  }
#endif
  w = (exit_watch *)malloc(sizeof(*w));
  if (w == NULL) goto fail;
  w->pid = pid;
  w->fd = sv[1];
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 64 * 1024);
  if (pthread_create(&t, &a, exit_watcher, w) != 0) {
    pthread_attr_destroy(&a);
    free(w);
    goto fail;
  }
  pthread_attr_destroy(&a);
  return sv[0];
fail:
  close(sv[0]);
  close(sv[1]);
  return -1;
}

static pthread_mutex_t exit_watch_mu = PTHREAD_MUTEX_INITIALIZER;

intptr_t pipc_os_process_wait_handle(pipc_os_process *p) {
  int fd;
  pthread_mutex_lock(&exit_watch_mu); /* one watcher, whichever thread asks first */
  if (p->pidfd < 0) p->pidfd = exit_watch_start(p->pid); /* -1 if it cannot: looked at */
  fd = p->pidfd;
  pthread_mutex_unlock(&exit_watch_mu);
  return (intptr_t)fd;
}

int pipc_os_process_kill(pipc_os_process *p) {
  if (kill(p->pid, SIGKILL) != 0 && errno != ESRCH) return pipc__posix_fail(errno);
  return PIPC_OK;
}

long pipc_os_process_pid(const pipc_os_process *p) { return (long)p->pid; }

long pipc_os_self_pid(void) { return (long)getpid(); }

void pipc_os_die(void) {
  kill(getpid(), SIGKILL);
  _exit(137); /* not reached */
}

void pipc_os_process_free(pipc_os_process *p) {
  if (p == NULL) return;
  if (p->pidfd >= 0) close(p->pidfd);
  free(p);
}

int pipc_os_stdout_binary(void) { return PIPC_OK; } /* no text mode */
