/* posix_process.c - the plain spawn with posix_spawnp (exec errors come
   back to the caller), a managed one (pipc_process_spawn_ex) by fork and
   exec; wait with an exit descriptor where the OS gives one (a pidfd,
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
#include <sys/stat.h>
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
  int group; /* it leads a process group of its own: signal the group */
};

/* Whether `path` is a file exec could run: 0, or the errno (EACCES for a
   directory, as execve says). */
static int runnable(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EACCES;
  return access(path, X_OK) == 0 ? 0 : errno;
}

/* Find argv0 the same way on every OS (Windows: win32_process.c) - a
   name with a '/' is that file, relative to this process's working
   directory (made absolute, so a child's new cwd does not change what
   runs); else each entry of PATH in turn, empty ones skipped (execvp's
   "the working directory" for them is a trap), the first runnable file
   winning - into out[cap] (may be NULL).  0, or the
   errno: ENOENT when nothing was found, EACCES when only something not
   runnable was.  posix_spawnp reports exec failures itself on glibc >=
   2.24 and macOS, but where it runs the child by fork + exec (older libcs,
   and under valgrind) a missing program is a child exiting 127: look
   first, so PIPC_ENOENT means the same everywhere. */
static int find_program(const char *argv0, char *out, size_t cap) {
  const char *path, *dir;
  char buf[PATH_MAX];
  int err = ENOENT, e;
  if (strchr(argv0, '/')) {
    if ((e = runnable(argv0)) != 0) return e;
    if (out == NULL) return 0;
    if (argv0[0] != '/') {
      if (getcwd(buf, sizeof buf) == NULL) return errno;
      if ((size_t)snprintf(out, cap, "%s/%s", buf, argv0) >= cap) return ENAMETOOLONG;
    } else if ((size_t)snprintf(out, cap, "%s", argv0) >= cap) {
      return ENAMETOOLONG;
    }
    return 0;
  }
  path = getenv("PATH");
  if (path == NULL || *path == 0) path = "/usr/bin:/bin";
  for (dir = path;; dir = strchr(dir, ':') + 1) {
    size_t n = strcspn(dir, ":");
    if (n > 0 && (size_t)snprintf(buf, sizeof buf, "%.*s/%s", (int)n, dir, argv0) < sizeof buf) {
      e = runnable(buf);
      if (e == 0) {
        if (out && (size_t)snprintf(out, cap, "%s", buf) >= cap) return ENAMETOOLONG;
        return 0;
      }
      if (e == EACCES) err = EACCES;
    }
    if (dir[n] == 0) return err;
  }
}

static int spawn_plain(const char *const argv[], pipc_os_process **out) {
  pipc_os_process *p;
  posix_spawnattr_t attr;
  sigset_t none, dfl;
  int err;

  if ((err = find_program(argv[0], NULL, 0)) != 0) return pipc__posix_fail(err);
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

/* ---- pipc_process_spawn_ex: fork and exec ----

   posix_spawn cannot set a parent-death signal, keep a child's descriptors
   to the ones it is given on every OS, or change directory portably, so a
   managed child is forked.  Everything is prepared before the fork (the
   program found, files opened, the environment built); between fork and
   exec the child makes only async-signal-safe calls, and reports a failure
   as {stage, errno} on a close-on-exec socket whose end-of-file tells the
   parent that exec succeeded. */

enum { STAGE_SETUP = 1, STAGE_CWD, STAGE_EXEC };

typedef struct plan {
  const char *path; /* the program, found */
  char *const *argv;
  char *const *envp;
  const char *cwd;
  int fd[3];        /* what descriptors 0, 1, 2 become; -1: left as they are */
  int err_to_out;   /* then 2 becomes what 1 is */
  const int *pass;  /* descriptors kept open across exec */
  size_t npass;
  int group, die;
  pid_t host;
  int maxfd;        /* one past the highest descriptor there can be */
  int report;       /* the child's end of the report socket */
} plan;

static void child_fail(const plan *pl, int stage, int err) {
  int msg[2];
  msg[0] = stage;
  msg[1] = err;
  (void)!write(pl->report, msg, sizeof msg);
  _exit(127);
}

/* In the child: async-signal-safe calls only. */
static void child_run(const plan *pl) {
  struct sigaction dfl;
  sigset_t none;
  int i, e;
  if (pl->die && (e = pipc__posix_die_with_parent(pl->host)) != 0) child_fail(pl, STAGE_SETUP, e);
  if (pl->group && setpgid(0, 0) != 0) child_fail(pl, STAGE_SETUP, errno);
  for (i = 0; i < 3; i++)
    if (pl->fd[i] >= 0 && dup2(pl->fd[i], i) < 0) child_fail(pl, STAGE_SETUP, errno);
  if (pl->err_to_out && dup2(1, 2) < 0) { /* stdout closed here: so is stderr */
    if (errno != EBADF) child_fail(pl, STAGE_SETUP, errno);
    close(2);
  }
  pipc__posix_cloexec_from(3, pl->maxfd);
  for (i = 0; i < (int)pl->npass; i++)
    if (fcntl(pl->pass[i], F_SETFD, 0) != 0) child_fail(pl, STAGE_SETUP, errno);
  if (pl->cwd && chdir(pl->cwd) != 0) child_fail(pl, STAGE_CWD, errno);
  /* Every handler back to its default before signals are let in (the
     parent blocked them all for the fork): this process's handlers are not
     the program's.  SIGPIPE too, as the plain spawn does. */
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (i = 1; i < NSIG; i++) {
    struct sigaction cur;
    if (sigaction(i, NULL, &cur) == 0 && (i == SIGPIPE || cur.sa_handler != SIG_IGN) &&
        cur.sa_handler != SIG_DFL)
      sigaction(i, &dfl, NULL);
  }
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(pl->path, pl->argv, pl->envp);
  child_fail(pl, STAGE_EXEC, errno);
}

/* Fork with every signal blocked - no handler of this process runs in the
   child before exec (child_run lets them in once they are back to their
   defaults) - and the caller's mask back in the parent. */
static pid_t fork_child(const plan *pl) {
  sigset_t all, old;
  pid_t pid;
  int e;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = fork();
  if (pid == 0) child_run(pl); /* never returns */
  e = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = e;
  return pid;
}

/* A child that dies with its host is forked by this thread: Linux sends
   the parent-death signal when the thread that forked the child ends, not
   when its process does, so it must be a thread that lives as long as the
   process - never the caller's, which may be a short-lived worker.  One
   request at a time; made again in a fork child of the host (threads do
   not survive a fork, and a lock another thread held at the fork would
   stay held: forker_atfork starts the child over). */
static struct {
  pthread_mutex_t mu; /* one spawn at a time */
  pthread_mutex_t lk; /* guards the fields below */
  pthread_cond_t cv;
  pid_t owner;        /* the process the thread runs in */
  const plan *req;    /* the request, NULL once taken */
  int done;
  pid_t pid;
  int err;
} forker = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
            0, NULL, 0, 0, 0};

static void *forker_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&forker.lk);
  for (;;) {
    pid_t pid;
    const plan *pl;
    while (forker.req == NULL) pthread_cond_wait(&forker.cv, &forker.lk);
    pl = forker.req;
    forker.req = NULL;
    pthread_mutex_unlock(&forker.lk);
    pid = fork_child(pl);
    pthread_mutex_lock(&forker.lk);
    forker.pid = pid;
    forker.err = pid < 0 ? errno : 0;
    forker.done = 1;
    pthread_cond_broadcast(&forker.cv);
  }
  return NULL;
}

/* In the child of any fork of this process: no forker thread, and no lock
   of it held (whichever thread held one at the fork is not here). */
static void forker_atfork(void) {
  pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cinit = PTHREAD_COND_INITIALIZER;
  forker.mu = init;
  forker.lk = init;
  forker.cv = cinit;
  forker.owner = 0;
  forker.req = NULL;
}

static pthread_once_t forker_once = PTHREAD_ONCE_INIT;

static void forker_register(void) { pthread_atfork(NULL, NULL, forker_atfork); }

static pid_t fork_by_forker(const plan *pl) {
  pid_t pid;
  int err = 0;
  pthread_once(&forker_once, forker_register);
  pthread_mutex_lock(&forker.mu);
  if (forker.owner != getpid()) { /* none yet (or, to be safe, a fork child) */
    pthread_t t;
    pthread_attr_t a;
    sigset_t all, old;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 128 * 1024);
    sigfillset(&all); /* it never takes a signal of the application's */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&t, &a, forker_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&a);
    if (err != 0) {
      pthread_mutex_unlock(&forker.mu);
      errno = err;
      return -1;
    }
    forker.owner = getpid();
  }
  pthread_mutex_lock(&forker.lk);
  forker.req = pl;
  forker.done = 0;
  pthread_cond_broadcast(&forker.cv);
  while (!forker.done) pthread_cond_wait(&forker.cv, &forker.lk);
  pid = forker.pid;
  err = forker.err;
  pthread_mutex_unlock(&forker.lk);
  pthread_mutex_unlock(&forker.mu);
  errno = err;
  return pid;
}

static int open_cloexec(const char *path, int flags) {
  int fd;
  do {
#ifdef O_CLOEXEC
    fd = open(path, flags | O_CLOEXEC, 0600);
#else
    fd = open(path, flags, 0600);
#endif
  } while (fd < 0 && errno == EINTR);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

/* Move fd above the standard three (it is dup2'd onto one of them in the
   child, where it must not be one it overwrites first): 0 or errno. */
static int above_std(int *fd) {
  int nfd;
  if (*fd > 2) return 0;
#ifdef F_DUPFD_CLOEXEC
  nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
#else
  nfd = fcntl(*fd, F_DUPFD, 3);
  if (nfd >= 0) fcntl(nfd, F_SETFD, FD_CLOEXEC);
#endif
  if (nfd < 0) return errno;
  close(*fd);
  *fd = nfd;
  return 0;
}

/* The descriptor for standard stream i as io says: *child_fd (-1: left
   alone) and, for a stream, this process's end in *mine.  0 or errno;
   the stage that failed is cwd-like for files (ENOENT means the file). */
static int stdio_fd(int i, const pipc_stdio *io, int *child_fd, pipc_os_stream **mine) {
  int sv[2], e;
  *child_fd = -1;
  *mine = NULL;
  switch (io->mode) {
  case PIPC_STDIO_NULL:
    *child_fd = open_cloexec("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
    break;
  case PIPC_STDIO_FILE:
    *child_fd = open_cloexec(io->path, i == 0 ? O_RDONLY
                                              : O_WRONLY | O_CREAT |
                                                    (io->append ? O_APPEND : O_TRUNC));
    break;
  case PIPC_STDIO_STREAM: { /* a pipe: sv[0] reads, sv[1] writes */
    int me = i == 0; /* this process writes stdin, reads the others */
    if (pipc__posix_pipe(sv) != 0) return errno;
    /* this process's end waits with poll, never in the call */
    if (fcntl(sv[me], F_SETFL, fcntl(sv[me], F_GETFL) | O_NONBLOCK) != 0) {
      e = errno;
      close(sv[0]);
      close(sv[1]);
      return e;
    }
    if ((*mine = pipc__posix_stream_make(sv[me], i == 0)) == NULL) {
      close(sv[0]);
      close(sv[1]);
      return ENOMEM;
    }
    *child_fd = sv[!me];
    break;
  }
  default: /* INHERIT; STDOUT is the child's own dup2 */
    return 0;
  }
  if (*child_fd < 0) return errno == EISDIR ? EACCES : errno;
  if (io->mode == PIPC_STDIO_FILE) { /* a directory opens for reading */
    struct stat st;
    if (fstat(*child_fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      close(*child_fd);
      *child_fd = -1;
      return EACCES;
    }
  }
  if ((e = above_std(child_fd)) != 0) {
    close(*child_fd);
    *child_fd = -1;
    if (*mine) pipc_os_stream_close(*mine);
    *mine = NULL;
    return e;
  }
  return 0;
}

static int spawn_managed(const char *const argv[], pipc_os_spawn *how, pipc_os_process **out) {
  char path[PATH_MAX];
  int cfd[3] = {-1, -1, -1}, rep[2] = {-1, -1};
  int *pass = NULL, msg[2], rc, e, i;
  plan pl;
  pipc_os_process *p = NULL;
  pid_t pid;
  ssize_t got = 0;
  long maxfd;

  if ((how->flags & PIPC_SPAWN_DIE_WITH_HOST) && !pipc__posix_can_die_with_parent())
    return PIPC_ENOTSUP;
  if ((e = find_program(argv[0], path, sizeof path)) != 0) return pipc__posix_fail(e);
  memset(&pl, 0, sizeof pl);
  rc = PIPC_ENOMEM;
  p = (pipc_os_process *)calloc(1, sizeof(*p));
  if (how->npass) pass = (int *)calloc(how->npass, sizeof(int));
  if (p == NULL || (how->npass && pass == NULL)) goto fail;
  p->pidfd = -1;
  if (how->cwd) { /* looked at first, so that a bad one touches no file */
    struct stat st;
    e = stat(how->cwd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (e != 0) {
      rc = e == EACCES ? pipc__posix_fail(e) : pipc__os_fail(PIPC_ENOENT, e);
      goto fail;
    }
  }
  for (i = 0; i < 3; i++) {
    if ((e = stdio_fd(i, &how->io[i], &cfd[i], &how->streams[i])) != 0) {
      /* a file that cannot be opened is the caller's: ENOENT, EACCES */
      rc = e == ENOTDIR ? PIPC_ENOENT : pipc__posix_fail(e);
      goto fail;
    }
  }
  for (i = 0; i < (int)how->npass; i++) {
    pass[i] = (int)pipc_os_pipe_handle(how->pass[i]);
    /* an end that is descriptor 0..2 here (this process closed its own)
       stays where its token says only if that standard stream does */
    if (pass[i] <= 2 && how->io[pass[i]].mode != PIPC_STDIO_INHERIT) {
      rc = PIPC_EINVAL;
      goto fail;
    }
  }
  /* the report socket above the standard three, which the child replaces */
  if ((e = pipc__posix_socketpair(rep)) != 0 || (e = above_std(&rep[0])) != 0 ||
      (e = above_std(&rep[1])) != 0) {
    rc = pipc__posix_fail(e);
    goto fail;
  }
  maxfd = sysconf(_SC_OPEN_MAX);
  pl.path = path;
  pl.argv = (char *const *)argv;
  pl.envp = how->env ? how->env : pipc__posix_environ();
  pl.cwd = how->cwd;
  for (i = 0; i < 3; i++) pl.fd[i] = cfd[i];
  pl.err_to_out = how->io[2].mode == PIPC_STDIO_STDOUT;
  pl.pass = pass;
  pl.npass = how->npass;
  pl.group = (how->flags & PIPC_SPAWN_NEW_GROUP) != 0;
  pl.die = (how->flags & PIPC_SPAWN_DIE_WITH_HOST) != 0;
  pl.host = getpid();
  pl.maxfd = maxfd < 0 || maxfd > INT_MAX ? 65536 : (int)maxfd;
  pl.report = rep[1];
  pid = pl.die ? fork_by_forker(&pl) : fork_child(&pl);
  if (pid < 0) { /* EAGAIN here is no timeout: the system is out of processes */
    e = errno;
    rc = e == ENOMEM ? PIPC_ENOMEM : pipc__os_fail(PIPC_ESYS, e);
    goto fail;
  }
  if (pl.group) setpgid(pid, pid); /* as the child does: whichever is first */
  close(rep[1]);
  rep[1] = -1;
  for (i = 0; i < 3; i++) {
    if (cfd[i] >= 0) close(cfd[i]);
    cfd[i] = -1;
  }
  while (got < (ssize_t)sizeof msg) { /* end of file: exec closed it */
    ssize_t r = read(rep[0], (char *)msg + got, sizeof msg - (size_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += r;
  }
  if (got == (ssize_t)sizeof msg) { /* it failed before its program ran */
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    e = msg[1];
    if (msg[0] == STAGE_CWD && (e == ENOENT || e == ENOTDIR))
      rc = PIPC_ENOENT;
    else if (msg[0] == STAGE_EXEC && e == ENOEXEC)
      rc = pipc__os_fail(PIPC_EACCES, e); /* no program the system can start */
    else
      rc = pipc__posix_fail(e);
    goto fail;
  }
  close(rep[0]);
  free(pass);
  p->pid = pid;
  p->group = pl.group;
  p->pidfd = pipc__posix_exit_fd(pid);
  *out = p;
  return PIPC_OK;
fail:
  for (i = 0; i < 2; i++)
    if (rep[i] >= 0) close(rep[i]);
  for (i = 0; i < 3; i++) {
    if (cfd[i] >= 0) close(cfd[i]);
    if (how->streams[i]) pipc_os_stream_close(how->streams[i]);
    how->streams[i] = NULL;
  }
  free(pass);
  free(p);
  return rc;
}

int pipc_os_process_spawn(const char *const argv[], pipc_os_spawn *how, pipc_os_process **out) {
  return how ? spawn_managed(argv, how, out) : spawn_plain(argv, out);
}

static void decode(int status, pipc_exit *how) {
  memset(how, 0, sizeof *how);
  if (WIFSIGNALED(status)) {
    how->reason = PIPC_EXIT_SIGNAL;
    how->signal = WTERMSIG(status);
  } else {
    how->reason = PIPC_EXIT_CODE;
    how->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
}

/* One non-blocking look: 1 reaped, 0 still running, <0 error. */
static int try_reap(pipc_os_process *p, pipc_exit *how) {
  int status;
  pid_t r;
  do {
    r = waitpid(p->pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = errno; /* the look below must not change what is reported */
    if (err == ECHILD && pipc__posix_reaped_status(p->pidfd, &status) == 0) {
      decode(status, how); /* reaped by the program's handler, or the kernel */
      return 1;
    }
    return pipc__posix_fail(err);
  }
  if (r == 0) return 0;
  decode(status, how);
  return 1;
}

int pipc_os_process_wait(pipc_os_process *p, int64_t deadline, pipc_exit *how) {
  int nap = 1, r;
  for (;;) {
    int64_t left;
    r = try_reap(p, how);
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
  if (pipc__posix_socketpair(sv) != 0) return -1;
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

/* Not reaped yet (pipc_process_* checks), so the pid - and the group it
   leads - are still this child's, even if it has ended. */
static int signal_child(pipc_os_process *p, int sig) {
  if (kill(p->group ? -p->pid : p->pid, sig) != 0 && errno != ESRCH)
    return pipc__posix_fail(errno);
  return PIPC_OK;
}

int pipc_os_process_kill(pipc_os_process *p) { return signal_child(p, SIGKILL); }

int pipc_os_process_terminate(pipc_os_process *p) { return signal_child(p, SIGTERM); }

char **pipc_os_environ_copy(void) {
  char **env = pipc__posix_environ(), **copy;
  size_t n = 0, i;
  while (env && env[n]) n++;
  copy = (char **)calloc(n + 1, sizeof(char *));
  if (copy == NULL) return NULL;
  for (i = 0; i < n; i++) {
    size_t len = strlen(env[i]) + 1;
    if ((copy[i] = (char *)malloc(len)) == NULL) {
      pipc__strv_free(copy);
      return NULL;
    }
    memcpy(copy[i], env[i], len);
  }
  return copy;
}

int pipc_os_env_name_eq(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && memcmp(a, b, an) == 0;
}

int pipc_os_ipc_security(void **sd) {
  *sd = NULL;
  return PIPC_ENOTSUP; /* a socket file: its mode */
}

char *pipc_os_getenv(const char *name) {
  const char *v = getenv(name);
  char *c;
  size_t n;
  if (v == NULL) return NULL;
  n = strlen(v) + 1;
  if ((c = (char *)malloc(n)) != NULL) memcpy(c, v, n);
  return c;
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
int pipc_os_stdin_binary(void) { return PIPC_OK; }  /* no text mode */
