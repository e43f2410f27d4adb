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

static volatile int *term_flag;

static void on_term(int sig) {
  (void)sig;
  *term_flag = 1;
}

int t_os_on_terminate(volatile int *flag, int ignore) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  term_flag = flag;
  sa.sa_handler = ignore ? SIG_IGN : on_term;
  return sigaction(SIGTERM, &sa, NULL);
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
  char path[128];
  struct stat st;
  int fd, ok = 0;
  snprintf(path, sizeof path, "/pipc.%s", name);
  fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) return 0;
  if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 07777) == 0600) ok = 1;
  close(fd);
  return ok;
}

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
  const char *v = getenv("XDG_RUNTIME_DIR");
  *out = NULL;
  if (x == NULL) return "out of memory";
  x->had = v != NULL;
  if (v) snprintf(x->saved, sizeof x->saved, "%s", v);
  snprintf(x->base, sizeof x->base, "/tmp/pipc-test-xdg-XXXXXX");
  if (mkdtemp(x->base) == NULL || setenv("XDG_RUNTIME_DIR", x->base, 1) != 0) {
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
  if (x->had) setenv("XDG_RUNTIME_DIR", x->saved, 1);
  else unsetenv("XDG_RUNTIME_DIR");
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

const char *t_os_why_no_squatter(void) {
  return "POSIX: another user cannot enter the 0700 socket directory "
         "(other_user_refused, unsafe_socket_dir_refused); a socket of this user's "
         "without the name's lock is a dead listener's and is reclaimed";
}

void *t_os_squat_pipe(const char *name) {
  (void)name;
  return NULL;
}

void t_os_unsquat(void *squatter) { (void)squatter; }

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
