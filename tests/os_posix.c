#define _GNU_SOURCE
/* os_posix.c - the suite's OS helpers (os.h) on POSIX, and the helper
   processes only POSIX cases start: another uid, few descriptors, a small
   shm file system. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#endif

#include "harness.h"
#include "os.h"

#define NOBODY 65534

/* ---- the runner ---- */

char **t_os_utf8_argv(int *argc, char **argv) {
  (void)argc;
  return argv; /* bytes as given: pipc passes them through */
}

struct t_thread {
  pthread_t th;
  void (*fn)(void *);
  void *arg;
};

static void *thread_main(void *p) {
  t_thread *t = (t_thread *)p;
  t->fn(t->arg);
  return NULL;
}

t_thread *t_thread_start(void (*fn)(void *), void *arg) {
  t_thread *t = (t_thread *)calloc(1, sizeof(*t));
  if (t == NULL) return NULL;
  t->fn = fn;
  t->arg = arg;
  if (pthread_create(&t->th, NULL, thread_main, t) != 0) {
    free(t);
    return NULL;
  }
  return t;
}

void t_thread_join(t_thread *t) {
  if (t == NULL) return;
  pthread_join(t->th, NULL);
  free(t);
}

/* ---- names ---- */

int t_os_names_outlive_handles(void) { return 1; }

int t_os_mutex_file_exists(const char *name, unsigned slot) {
  char sock[512], path[600], *slash;
  if (pipc_pipe_path(name, sock, sizeof sock) != PIPC_OK) return -1;
  slash = strrchr(sock, '/');
  if (slash == NULL) return -1;
  *slash = 0; /* the lock files live beside the sockets */
  snprintf(path, sizeof path, "%s/.mutex.%u.%s", sock, slot, name);
  return access(path, F_OK) == 0;
}

int t_os_path_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

int t_os_make_executable(const char *path) { return chmod(path, 0700); }

const char *t_os_why_no_exec_errors(void) {
  const char *pre = getenv("LD_PRELOAD");
  if (pre && strstr(pre, "vgpreload"))
    return "under valgrind, posix_spawn reports a file that is no program as a child exiting 127";
  return NULL;
}

/* ---- processes and handles ---- */

int t_os_count_handles(void) {
  int fd, n = 0;
  for (fd = 3; fd < 1024; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags != -1 && !(flags & FD_CLOEXEC)) n++;
  }
  return n;
}

int t_os_open_handle_count(void) {
  int fd, n = 0;
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (fd = 0; fd < max; fd++)
    if (fcntl(fd, F_GETFD) != -1) n++;
  return n;
}

int t_os_setenv(const char *name, const char *value) {
  return value ? setenv(name, value, 1) : unsetenv(name);
}

int t_os_mkdir(const char *path) { return mkdir(path, 0700); }

int t_os_rmdir(const char *path) { return rmdir(path); }

int t_os_write_file(const char *path, const void *buf, size_t n) {
  FILE *f = fopen(path, "wb");
  int rc;
  if (f == NULL) return -1;
  rc = fwrite(buf, 1, n, f) == n ? 0 : -1;
  if (fclose(f) != 0) rc = -1;
  return rc;
}

void t_os_stdio_binary(void) {}

void t_os_close_std(int n) { close(n); }

int t_os_on_terminate(int ignore) {
  struct sigaction sa;
  sigset_t set;
  if (ignore) {
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGTERM, &sa, NULL);
  }
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  return sigprocmask(SIG_BLOCK, &set, NULL); /* the roles have one thread */
}

/* Pending (blocked) SIGTERM: taken with sigwait; else a nap of ms.  (Not
   sigtimedwait: macOS and OpenBSD have none.)  SIG_IGN: never pending. */
int t_os_terminate_requested(int ms) {
  sigset_t set, pending;
  int sig;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  if (sigpending(&pending) == 0 && sigismember(&pending, SIGTERM))
    return sigwait(&set, &sig) == 0 && sig == SIGTERM;
  pipc_sleep_ms(ms);
  return 0;
}

intptr_t t_os_inheritable_open(void) { return open("/dev/null", O_RDONLY); }

void t_os_inheritable_close(intptr_t h) {
  if (h >= 0) close((int)h);
}

const char *t_os_why_no_stop(void) { return NULL; }

int t_os_stop(pipc_process *p, int stop) {
  return kill((pid_t)pipc_process_pid(p), stop ? SIGSTOP : SIGCONT);
}

const char *t_os_why_no_fork(void) { return NULL; }

int t_os_fork_run(int (*fn)(void *), void *arg) {
  int status;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(fn(arg));
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- pipe ends' OS handles ---- */

int t_os_handle_is_pipe_end(intptr_t h) {
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt((int)h, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

int t_os_handle_readable(intptr_t h, int timeout_ms) {
  struct pollfd pf;
  int n;
  pf.fd = (int)h;
  pf.events = POLLIN;
  pf.revents = 0;
  n = poll(&pf, 1, timeout_ms);
  if (n < 0) return -1;
  return n == 1 && (pf.revents & POLLIN) != 0;
}

int t_os_wait_handles(const intptr_t *h, size_t n, int timeout_ms) {
  struct pollfd pf[PIPC_WAIT_MAX + 1];
  size_t i;
  int r;
  if (n > PIPC_WAIT_MAX + 1) return -1;
  for (i = 0; i < n; i++) {
    pf[i].fd = (int)h[i];
    pf[i].events = POLLIN;
    pf[i].revents = 0;
  }
  do {
    r = poll(pf, (nfds_t)n, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : r > 0;
}

long t_os_write_handle(pipc_pipe *p, const void *buf, size_t n) {
  intptr_t h = -1;
  if (pipc_pipe_os_handle(p, &h) != PIPC_OK) return -1;
  return (long)write((int)h, buf, n);
}

/* ---- security ---- */

const char *t_os_why_no_second_user(void) {
  return geteuid() == 0 ? NULL : "not root: a second user cannot be made here (CI runs this as root)";
}

unsigned t_os_loosen_defaults(void) { return (unsigned)umask(0); }

void t_os_restore_defaults(unsigned saved) { umask((mode_t)saved); }

/* The mode bits of what is at path, if it is ours; else -1. */
static int path_mode(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0 || st.st_uid != geteuid()) return -1;
  return (int)(st.st_mode & 07777);
}

int t_os_object_owner_only(const char *name) {
  char path[PIPC_PATH_MAX];
  struct stat st;
  int fd, ok = 0;
  if (pipc_path(name, PIPC_PATH_SHM, path, sizeof path) != PIPC_OK) return 0; /* macOS: maybe a digest */
  fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) return 0;
  if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 07777) == 0600) ok = 1;
  close(fd);
  return ok;
}

int t_os_wine(void) { return 0; }

const char *t_os_why_no_file_dacl(void) { return NULL; }

int t_os_file_owner_only(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 07777) == 0600;
}

int t_os_listener_owner_only(const char *name) {
  char path[256], *slash;
  if (pipc_pipe_path(name, path, sizeof path) != PIPC_OK) return 0;
  if (path_mode(path) != 0600) return 0;
  slash = strrchr(path, '/');
  if (slash == NULL) return 0;
  *slash = 0;
  return path_mode(path) == 0700;
}

struct t_sockdir {
  char saved[512], base[128], pipc[160], elsewhere[200];
  int had;
};

const char *t_os_sockdir_begin(t_sockdir **out) {
  t_sockdir *x = (t_sockdir *)calloc(1, sizeof *x);
  const char *v = getenv("PIPC_TEST_USER_DIR");
  *out = NULL;
  if (x == NULL) return "out of memory";
  x->had = v != NULL;
  if (v) snprintf(x->saved, sizeof x->saved, "%s", v);
  snprintf(x->base, sizeof x->base, "/tmp/pipc-test-xdg-XXXXXX");
  if (mkdtemp(x->base) == NULL || setenv("PIPC_TEST_USER_DIR", x->base, 1) != 0) {
    free(x);
    return NULL; /* no skip: the case's CU_ASSERT on *d reports it */
  }
  snprintf(x->pipc, sizeof x->pipc, "%s/pipc", x->base);
  snprintf(x->elsewhere, sizeof x->elsewhere, "%s/elsewhere", x->base);
  *out = x;
  return NULL;
}

void t_os_sockdir_end(t_sockdir *x) {
  char cmd[256];
  if (x == NULL) return;
  if (x->had) setenv("PIPC_TEST_USER_DIR", x->saved, 1);
  else unsetenv("PIPC_TEST_USER_DIR");
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->base);
  if (system(cmd) != 0) fprintf(stderr, "\n  could not remove %s", x->base);
  free(x);
}

int t_os_sockdir_set(t_sockdir *x, int how) {
  struct stat st;
  if (x == NULL) return -1;
  if (lstat(x->pipc, &st) == 0 && S_ISLNK(st.st_mode) && unlink(x->pipc) != 0) return -1;
  if (how == T_DIR_SYMLINK) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->pipc);
    if (system(cmd) != 0) return -1;
    if (mkdir(x->elsewhere, 0700) != 0 && errno != EEXIST) return -1;
    return symlink(x->elsewhere, x->pipc);
  }
  if (mkdir(x->pipc, 0700) != 0 && errno != EEXIST) return -1;
  if (how == T_DIR_OTHER_USERS) {
    if (chown(x->pipc, NOBODY, NOBODY) != 0) return -1;
  } else if (lstat(x->pipc, &st) == 0 && st.st_uid != geteuid()) {
    if (chown(x->pipc, geteuid(), getegid()) != 0) return -1;
  }
  switch (how) {
  case T_DIR_GROUP_WRITABLE: return chmod(x->pipc, 0770);
  case T_DIR_WORLD_WRITABLE: return chmod(x->pipc, 0707);
  default: return chmod(x->pipc, 0700);
  }
}

int t_os_sockdir_open_up(t_sockdir *x, const char *socket_path) {
  if (x == NULL) return -1;
  /* uid 65534 may pass through the base and enter pipc's directory */
  if (chmod(x->base, 0711) != 0 || chmod(x->pipc, 0733) != 0) return -1;
  return socket_path ? chmod(socket_path, 0666) : 0;
}

const char *t_os_why_no_symlinks(void) { return NULL; }

int t_os_precious_make(char *path, size_t cap, const char *name) {
  int fd, ok;
  snprintf(path, cap, "/tmp/pipc-test-target-%s", name);
  fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return -1;
  ok = write(fd, "precious", 8) == 8;
  close(fd);
  return ok ? 0 : -1;
}

int t_os_precious_intact(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && st.st_size == 8;
}

int t_os_symlink(const char *target, const char *at) { return symlink(target, at); }

int t_os_is_symlink(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

int t_os_remove(const char *path) { return unlink(path); }

const char *t_os_shm_file(const char *name, char *path, size_t cap) {
  if (access("/dev/shm", F_OK) != 0) return "no /dev/shm here: the shm half needs Linux";
  snprintf(path, cap, "/dev/shm/pipc.%s", name); /* where Linux keeps shm names */
  return NULL;
}

const char *t_os_why_no_fd_limit(void) { return NULL; }

const char *t_os_why_no_small_shm_fs(void) {
#ifdef __linux__
  return geteuid() == 0 ? NULL : "not root: cannot mount a small tmpfs here (CI runs it as root)";
#else
  return "needs Linux mount namespaces to make a small shm file system";
#endif
}

const char *t_os_why_no_squatter(void) { return NULL; }

/* A program that listens at a pipc name without pipc (as a Python
   Listener given `pipc path NAME` does): a plain listening socket. */
struct squat {
  int fd;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

void *t_os_squat_pipe(const char *name) {
  struct squat *q = (struct squat *)calloc(1, sizeof *q);
  struct sockaddr_un sa;
  if (q == NULL || pipc_pipe_path(name, q->path, sizeof q->path) != PIPC_OK) {
    free(q);
    return NULL;
  }
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", q->path);
  q->fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (q->fd < 0 || bind(q->fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(q->fd, 8) != 0) {
    if (q->fd >= 0) close(q->fd);
    free(q);
    return NULL;
  }
  return q;
}

int t_os_squat_reachable(void *squatter) {
  struct squat *q = (struct squat *)squatter;
  struct sockaddr_un sa;
  int fd, ok, got;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", q->path);
  if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) return 0;
  ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  if (ok) { /* and it is the squatter who has it (within 10 s: no hang) */
    struct pollfd p;
    p.fd = q->fd;
    p.events = POLLIN;
    p.revents = 0;
    ok = poll(&p, 1, 10000) == 1;
  }
  got = ok ? accept(q->fd, NULL, NULL) : -1;
  close(fd);
  if (got >= 0) close(got);
  return got >= 0;
}

int t_os_lists_foreign_pipes(void) { return access("/proc/net/unix", R_OK) == 0; }
int t_os_probes_foreign_pipes(void) { return !t_os_lists_foreign_pipes(); }

int t_os_linux_at_least(int major, int minor) {
  struct utsname u;
  int a = 0, b = 0;
  if (uname(&u) != 0 || strcmp(u.sysname, "Linux") != 0) return 0;
  if (sscanf(u.release, "%d.%d", &a, &b) != 2) return 0;
  return a > major || (a == major && b >= minor);
}

int t_os_is_pidfd(intptr_t h) {
  char link[64], to[128];
  ssize_t n;
  snprintf(link, sizeof link, "/proc/self/fd/%ld", (long)h);
  n = readlink(link, to, sizeof to - 1);
  if (n <= 0) return 0;
  to[n] = '\0';
  return strstr(to, "pidfd") != NULL; /* "anon_inode:[pidfd]", "pidfd:[N]" */
}

static void reap_all(int sig) {
  int e = errno;
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = e;
}

const char *t_os_set_sigchld(int how) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = how == 1 ? SIG_IGN : how == 2 ? reap_all : SIG_DFL;
  if (how == 2) sa.sa_flags = SA_RESTART;
  return sigaction(SIGCHLD, &sa, NULL) == 0 ? NULL : "sigaction failed";
}

size_t t_os_shm_size_learnt(size_t made) {
#ifdef __APPLE__
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return (made + page - 1) / page * page;
#else
  return made;
#endif
}

const char *t_os_shm_group_is_creators(void) {
#ifdef __APPLE__
  return "macOS: a segment's group is its creator's effective group, for good";
#else
  return NULL;
#endif
}

long t_os_set_egid(long gid) {
  long was = (long)getegid();
  return setegid((gid_t)gid) == 0 ? was : -1;
}

int t_os_squat_pending(void *squatter) {
  /* nothing has connected to the squatter behind its back */
  struct squat *q = (struct squat *)squatter;
  struct pollfd p;
  p.fd = q->fd;
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, 0) > 0;
}

void t_os_unsquat(void *squatter) {
  struct squat *q = (struct squat *)squatter;
  if (q == NULL) return;
  close(q->fd);
  unlink(q->path);
  free(q);
}

/* ---- helper processes of the security cases ---- */

/* argv: as_nobody SHM QUEUE SEM LOCK SOCKET_PATH -> drops to uid/gid 65534,
   then every open must be refused with PIPC_EACCES, and the socket must
   not even be reachable.  Exit 0, or 20 + the index of the first failure. */
int role_as_nobody(int argc, char **argv) {
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  struct sockaddr_un sa;
  int fd;
  if (argc < 6) return 10;
  if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) return 11;
  if (getuid() != NOBODY || setuid(0) == 0) return 12; /* really dropped */
  if (pipc_shm_open(argv[1], &s) != PIPC_EACCES || s) return 21;
  if (pipc_queue_open(argv[2], &q) != PIPC_EACCES || q) return 22;
  if (pipc_sem_open(argv[3], &m) != PIPC_EACCES || m) return 23;
  if (pipc_lock_open(argv[4], &l) != PIPC_EACCES || l) return 24;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[5]);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return 13;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno != EACCES) return 25;
  close(fd);
  {
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/pipc.%s", argv[1]);
    if (access("/dev/shm", F_OK) == 0 && (open(path, O_RDONLY) >= 0 || errno != EACCES))
      return 26; /* cannot even read the bytes */
  }
  return 0;
}

/* argv: few_fds SHM QUEUE SEM LOCK PIPE -> with every descriptor in use,
   each create must fail with an error (PIPC_ESYS or PIPC_ENOMEM), not
   crash.  Exit 0, or 20 + the index of the first wrong result. */
int role_few_fds(int argc, char **argv) {
  struct rlimit rl;
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  pipc_listener *li = NULL;
  pipc_pipe *a = NULL, *b = NULL;
  int rc, fd, first = -1, last = -1, result = 0;
  if (argc < 6) return 10;
  rl.rlim_cur = 32;
  rl.rlim_max = 32;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return 11;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
    if (first < 0) first = fd;
    last = fd;
  }
  if (errno != EMFILE) return 12;
#define REFUSED(expr) ((rc = (expr)) == PIPC_ESYS || rc == PIPC_ENOMEM)
  if (!REFUSED(pipc_shm_create(argv[1], 4096, &s)) || s) result = 21;
  else if (!REFUSED(pipc_queue_create(argv[2], 4, 16, &q)) || q) result = 22;
  else if (!REFUSED(pipc_sem_create(argv[3], 0, 0, &m)) || m) result = 23;
  else if (!REFUSED(pipc_lock_create(argv[4], &l)) || l) result = 24;
  else if (!REFUSED(pipc_listener_create(argv[5], &li)) || li) result = 25;
  else if (!REFUSED(pipc_pipe_pair(&a, &b)) || a || b) result = 26;
  else if (pipc_last_os_error() != EMFILE) result = 27;
  /* give the descriptors back: a leak checker at exit needs a few */
  for (fd = first; first >= 0 && fd <= last; fd++) close(fd);
  return result;
}

#ifdef __linux__
/* argv: full_shm SHM QUEUE -> in a private mount namespace, a 256 KiB
   tmpfs over /dev/shm; then a 1 MiB shm and a 1 MiB queue must fail at
   create with PIPC_ENOMEM and leave no name, and a segment that fits must
   be usable to its last byte (no SIGBUS).  Exit 0, or the failing step. */
int role_full_shm(int argc, char **argv) {
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  if (argc < 3) return 10;
  if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=1777") != 0)
    return 11;
  if (pipc_shm_create(argv[1], 1 << 20, &s) != PIPC_ENOMEM || s) return 21;
  if (pipc_shm_open(argv[1], &s) != PIPC_ENOENT) return 22; /* nothing left */
  if (pipc_queue_create(argv[2], 1024, 1024, &q) != PIPC_ENOMEM || q) return 23;
  if (pipc_queue_open(argv[2], &q) != PIPC_ENOENT) return 24;
  if (pipc_shm_create(argv[1], 128 << 10, &s) != PIPC_OK) return 25;
  memset(pipc_shm_addr(s), 0xee, 128 << 10); /* every page is there */
  pipc_shm_unlink(argv[1]);
  pipc_shm_close(s);
  return 0;
}
#endif

/* argv: intruder PATH MODE -> as uid 65534: MODE "client" connects to
   PATH and expects the server to drop it (end of stream, no byte);
   MODE "server" binds a socket at PATH, listens, and accepts one
   connection (to be refused by the pipc client), then exits.  Exit 0 when
   it went as expected. */
int role_intruder(int argc, char **argv) {
  struct sockaddr_un sa;
  int fd, c;
  char b;
  if (argc < 3) return 10;
  if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) return 11;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return 12;
  if (strcmp(argv[2], "client") == 0) {
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) return 13; /* reached it */
    return read(fd, &b, 1) <= 0 ? 0 : 14; /* ... and was dropped (EOF or reset) */
  }
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0) return 15;
  c = accept(fd, NULL, NULL);
  if (c < 0) return 16;
  (void)!read(c, &b, 1); /* until the pipc client hangs up */
  close(c);
  close(fd);
  unlink(argv[1]);
  return 0;
}

/* argv: as_user WHO GID ACCESS SHM QUEUE SEM LOCK PIPE EXPECT -> become
   uid 65534 (WHO "member": with primary group GID; "other": with group
   65534 and no other), then open the objects a root test made shared at
   ACCESS ("group": with group GID, "all") and, EXPECT "ok", use each one
   (shm: "child" at offset 0; queue: put "from-child"; sem: post; lock:
   acquire and release; pipe: connect_ex with the same attr, send
   "hello") - or, EXPECT "refused", see every open and the connect refused
   with PIPC_EACCES - or, EXPECT "make", create QUEUE shared at ACCESS
   and put "planted" in it (for the test's own plain open to refuse).
   The plain opens are refused in every case: the objects are another
   user's.  Exit 0, or 20 + the index of the first failure. */
int role_as_user(int argc, char **argv) {
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  pipc_pipe *p = NULL;
  pipc_attr a;
  gid_t g;
  int ok, rc;
  if (argc < 10) return 10;
  g = (gid_t)strtoul(argv[2], NULL, 10);
  ok = strcmp(argv[9], "ok") == 0;
  if (strcmp(argv[1], "member") == 0) {
    if (setgroups(1, &g) != 0 || setgid(g) != 0) return 11;
  } else if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0) {
    return 11;
  }
  if (setuid(NOBODY) != 0 || getuid() != NOBODY || setuid(0) == 0) return 12;
  memset(&a, 0, sizeof a);
  a.access = strcmp(argv[3], "group") == 0 ? PIPC_ACCESS_GROUP : PIPC_ACCESS_ALL;
  a.group = a.access == PIPC_ACCESS_GROUP ? argv[2] : NULL;
  if (strcmp(argv[9], "make") == 0) {
    if (pipc_queue_create_attr(argv[5], 4, 16, &a, &q) != PIPC_OK ||
        pipc_queue_put(q, "planted", 7, 0) != PIPC_OK)
      return 41;
    pipc_queue_close(q);
    return 0;
  }
  if (pipc_shm_open(argv[4], &s) != PIPC_EACCES || s) return 15;
  if (pipc_queue_open(argv[5], &q) != PIPC_EACCES || q) return 16;
  if (pipc_sem_open(argv[6], &m) != PIPC_EACCES || m) return 17;
  if (pipc_lock_open(argv[7], &l) != PIPC_EACCES || l) return 18;
  if (!ok) {
    if (pipc_shm_open_attr(argv[4], &a, &s) != PIPC_EACCES || s) return 21;
    if (pipc_queue_open_attr(argv[5], &a, &q) != PIPC_EACCES || q) return 22;
    if (pipc_sem_open_attr(argv[6], &a, &m) != PIPC_EACCES || m) return 23;
    if (pipc_lock_open_attr(argv[7], &a, &l) != PIPC_EACCES || l) return 24;
    if (pipc_pipe_connect_ex(argv[8], &a, &p, 0) != PIPC_EACCES || p) return 25;
    return 0;
  }
  if (pipc_shm_open_attr(argv[4], &a, &s) != PIPC_OK) return 31;
  memcpy(pipc_shm_addr(s), "child", 6);
  if (pipc_queue_open_attr(argv[5], &a, &q) != PIPC_OK ||
      pipc_queue_put(q, "from-child", 10, 5000) != PIPC_OK)
    return 32;
  if (pipc_sem_open_attr(argv[6], &a, &m) != PIPC_OK || pipc_sem_post(m) != PIPC_OK) return 33;
  if (pipc_lock_open_attr(argv[7], &a, &l) != PIPC_OK || pipc_lock_acquire(l, 5000) != PIPC_OK ||
      pipc_lock_release(l) != PIPC_OK)
    return 34;
  if ((rc = pipc_pipe_connect_ex(argv[8], &a, &p, 5000)) != PIPC_OK) return 35;
  if (pipc_pipe_send(p, "hello", 5, 5000) != PIPC_OK) return 36;
  pipc_pipe_close(p);
  pipc_shm_close(s);
  pipc_queue_close(q);
  pipc_sem_close(m);
  pipc_lock_close(l);
  return 0;
}

/* ---- sharing ---- */

const char *t_os_common_group(void) {
  static char buf[24];
  snprintf(buf, sizeof buf, "%lu", (unsigned long)getgid()); /* the primary group */
  return buf;
}

const char *t_os_common_group_name(char *buf, size_t cap) {
  struct group *g = getgrgid(getgid());
  if (g == NULL || g->gr_name == NULL) return NULL;
  snprintf(buf, cap, "%s", g->gr_name);
  return buf;
}

/* The access level of mode bits m of an object of ours with group gid. */
static int mode_level(mode_t m, gid_t gid, const char *group) {
  m &= 0777;
  if ((m & 0077) == 0) return PIPC_ACCESS_OWNER;
  if ((m & 0006) == 0006) return PIPC_ACCESS_ALL;
  if ((m & 0007) == 0 && (m & 0060) == 0060 && group &&
      gid == (gid_t)strtoul(group, NULL, 10))
    return PIPC_ACCESS_GROUP;
  return -1;
}

int t_os_object_access(const char *name, pipc_pipe *client, const char *group, char *why,
                       size_t cap) {
  char path[256];
  struct stat st;
  int rc;
  if (client == NULL) { /* the segment: shm_open works where /dev/shm is not */
    int fd;
    pipc_path(name, PIPC_PATH_SHM, path, sizeof path); /* macOS: maybe a digest */
    if ((fd = shm_open(path, O_RDONLY, 0)) < 0) {
      snprintf(why, cap, "shm_open %s: %s", path, strerror(errno));
      return -1;
    }
    rc = fstat(fd, &st);
    close(fd);
  } else { /* the listener's socket, where the client end is connected */
    struct sockaddr_un sa;
    socklen_t len = sizeof sa;
    intptr_t h;
    memset(&sa, 0, sizeof sa);
    if (pipc_pipe_os_handle(client, &h) != PIPC_OK ||
        getpeername((int)h, (struct sockaddr *)&sa, &len) != 0 || sa.sun_path[0] == 0) {
      snprintf(why, cap, "no socket path behind the client end");
      return -1;
    }
    snprintf(path, sizeof path, "%s", sa.sun_path);
    rc = lstat(path, &st);
  }
  if (rc != 0) {
    snprintf(why, cap, "stat %s: %s", path, strerror(errno));
    return -1;
  }
  snprintf(why, cap, "%s: mode %04o, uid %lu, gid %lu", path, (unsigned)(st.st_mode & 07777),
           (unsigned long)st.st_uid, (unsigned long)st.st_gid);
  if (st.st_uid != geteuid()) return -1;
  return mode_level(st.st_mode, st.st_gid, group);
}

const char *t_os_why_no_sddl(void) {
  return "POSIX has no SDDL: pipc refuses one (PIPC_ENOTSUP), it never ignores a request to "
         "restrict";
}

const char *t_os_sddl_sample(char *buf, size_t cap) {
  snprintf(buf, cap, "D:P(A;;GA;;;OW)");
  return buf;
}

int t_os_object_sddl_is(const char *name, pipc_pipe *client, const char *sddl, char *why,
                        size_t cap) {
  (void)name;
  (void)client;
  (void)sddl;
  snprintf(why, cap, "%s", t_os_why_no_sddl());
  return -2;
}

int t_os_object_is_global(const char *name) {
  (void)name;
  return -2; /* one namespace */
}

const char *t_os_why_no_global_refusal(void) {
  return "POSIX has one namespace per machine: PIPC_ATTR_GLOBAL needs no privilege, there is "
         "nothing to refuse";
}

int t_os_drop_global_privilege(void) { return -1; }

const char *t_os_why_global_granted(void) { return NULL; }

void t_os_peer_expected(long pid, pipc_peer *out) {
  memset(out, 0, sizeof *out);
  out->pid = pid;
  out->uid = (long)getuid();
  out->gid = (long)getgid();
}

/* ---- shared socket directories (security/shared_dir_checked,
   group_peer_checked_both_ways) ---- */

const char *t_os_shared_dir_make(char *path, size_t cap) {
  snprintf(path, cap, "/tmp/pipc-test-sdir-XXXXXX");
  if (mkdtemp(path) == NULL || chmod(path, 0755) != 0) return "cannot make a directory in /tmp";
  return NULL;
}

int t_os_shared_dir_set(const char *path, int how, char *use, size_t cap) {
  char target[300];
  snprintf(use, cap, "%s/d", path);
  snprintf(target, sizeof target, "%s/real", path);
  unlink(use);
  rmdir(use);
  switch (how) {
  case T_SDIR_SYMLINK:
    if (mkdir(target, 0755) != 0 && errno != EEXIST) return -1;
    return symlink(target, use);
  case T_SDIR_MISSING: return 0;
  case T_SDIR_RELATIVE: snprintf(use, cap, "tmp/d"); return 0;
  default: break;
  }
  if (mkdir(use, 0755) != 0) return -1;
  switch (how) {
  case T_SDIR_WORLD: return chmod(use, 0777);
  case T_SDIR_STICKY: return chmod(use, 01777);
  case T_SDIR_OTHER_OWNER: return chown(use, NOBODY, NOBODY);
  default: return 0; /* T_SDIR_GOOD: 0755, ours */
  }
}

int t_os_chmod(const char *path, unsigned mode) { return chmod(path, (mode_t)mode); }

void t_os_shared_dir_end(const char *path) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0) fprintf(stderr, "\n  could not remove %s", path);
}

/* ---- remote names over ipc:// ---- */

void t_os_ipc_url(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "ipc:///tmp/pipc-test-%s.sock", name);
}

int t_os_ipc_owner_only(const char *url, char *why, size_t cap) {
  const char *path = strncmp(url, "ipc://", 6) == 0 ? url + 6 : NULL;
  int mode;
  if (path == NULL) {
    snprintf(why, cap, "%s is no ipc:// URL", url);
    return -1;
  }
  mode = path_mode(path);
  snprintf(why, cap, "%s: mode %04o%s", path, mode < 0 ? 0 : (unsigned)mode,
           mode < 0 ? " (missing, or not ours)" : "");
  return mode == 0600;
}
