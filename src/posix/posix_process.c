/* posix_process.c - spawn with posix_spawnp (exec errors come back to the
   caller), wait with an exit descriptor where the OS gives one (a pidfd,
   posix_fast_linux.c) or by polling. */
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

#include <poll.h>

struct pipc_os_process {
  pid_t pid;
  int pidfd; /* -1 if none */
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
    struct pollfd pfd;
    int r;
    pfd.fd = p->pidfd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    do {
      r = poll(&pfd, 1, 0);
    } while (r < 0 && errno == EINTR);
    if (r >= 0) return r > 0;
  }
  /* Without reaping it (WNOWAIT): pipc_process_wait does that. */
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno == EINTR) return 0;
    return pipc__posix_fail(errno);
  }
  return si.si_pid != 0;
}

intptr_t pipc_os_process_wait_handle(pipc_os_process *p) { return (intptr_t)p->pidfd; }

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
