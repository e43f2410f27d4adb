#define _GNU_SOURCE
/* test_security.c - default-deny: objects are the creating user's only;
   unsafe socket directories, planted symlinks and other users are refused;
   running out of descriptors leaves no half-made name behind.

   Each case asserts the promise in its platform's form.  What a platform
   here cannot show (a second user under Wine, which runs as one user) is
   said on stderr, and covered by the GitHub Actions Windows job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <aclapi.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#endif
#endif

static void note(const char *what) { fprintf(stderr, "\n  note: %s ", what); }

/* Five named objects of every kind, made under the caller's conditions. */
struct five {
  char shm[80], queue[80], sem[80], lock[80], pipe[80];
  pipc_shm *s;
  pipc_queue *q;
  pipc_sem *m;
  pipc_lock *l;
  pipc_listener *li;
};

static void five_make(struct five *f) {
  memset(f, 0, sizeof *f);
  t_name(f->shm, sizeof f->shm, "sshm");
  t_name(f->queue, sizeof f->queue, "squeue");
  t_name(f->sem, sizeof f->sem, "ssem");
  t_name(f->lock, sizeof f->lock, "slock");
  t_name(f->pipe, sizeof f->pipe, "spipe");
  T_RC(pipc_shm_create(f->shm, 4096, &f->s), PIPC_OK);
  T_RC(pipc_queue_create(f->queue, 4, 16, &f->q), PIPC_OK);
  T_RC(pipc_sem_create(f->sem, 0, 0, &f->m), PIPC_OK);
  T_RC(pipc_lock_create(f->lock, &f->l), PIPC_OK);
  T_RC(pipc_listener_create(f->pipe, &f->li), PIPC_OK);
}

static void five_drop(struct five *f) {
  pipc_shm_unlink(f->shm);
  pipc_queue_unlink(f->queue);
  pipc_sem_unlink(f->sem);
  pipc_lock_unlink(f->lock);
  if (f->s) pipc_shm_close(f->s);
  if (f->q) pipc_queue_close(f->q);
  if (f->m) pipc_sem_close(f->m);
  if (f->l) pipc_lock_close(f->l);
  if (f->li) pipc_listener_close(f->li);
}

#ifdef _WIN32

/* The object's DACL: protected, one ACE, allowing the current user. */
static int dacl_owner_only(HANDLE h) {
  PACL dacl = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  SECURITY_DESCRIPTOR_CONTROL ctl = 0;
  DWORD rev, n = 0;
  HANDLE tok = NULL;
  unsigned char user[256];
  ACCESS_ALLOWED_ACE *ace = NULL;
  int ok = 0;
  if (GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl,
                      NULL, &sd) != ERROR_SUCCESS)
    return 0;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) &&
      GetTokenInformation(tok, TokenUser, user, sizeof user, &n) && dacl != NULL &&
      GetSecurityDescriptorControl(sd, &ctl, &rev) && (ctl & SE_DACL_PROTECTED) &&
      dacl->AceCount == 1 && GetAce(dacl, 0, (void **)&ace) &&
      ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
      EqualSid((PSID)&ace->SidStart, ((TOKEN_USER *)user)->User.Sid))
    ok = 1;
  if (tok) CloseHandle(tok);
  LocalFree(sd);
  return ok;
}

static int mapping_owner_only(const char *name) {
  WCHAR w[128];
  HANDLE h;
  int ok;
  _snwprintf(w, 127, L"Local\\pipc.%hs", name);
  w[127] = 0;
  h = OpenFileMappingW(READ_CONTROL, FALSE, w);
  if (h == NULL) return 0;
  ok = dacl_owner_only(h);
  CloseHandle(h);
  return ok;
}

void test_security_objects_owner_only(void) {
  struct five f;
  five_make(&f);
  CU_ASSERT(mapping_owner_only(f.shm));
  CU_ASSERT(mapping_owner_only(f.queue));
  CU_ASSERT(mapping_owner_only(f.sem));
  CU_ASSERT(mapping_owner_only(f.lock));
  five_drop(&f);
}

void test_security_other_user_refused(void) {
  note("one user under Wine: the DACL is checked in objects_owner_only; denial to a "
       "second user runs in the GitHub Actions Windows job");
}

void test_security_unsafe_socket_dir_refused(void) {
  note("Windows pipes have no socket directory; the pipe name is owned by a named "
       "mutex with the owner-only DACL");
}

void test_security_planted_symlink_refused(void) {
  note("no symlinks among Windows kernel object names");
}

void test_security_out_of_descriptors_leaves_nothing(void) {
  note("no per-process descriptor limit to lower on Windows");
}

void test_security_full_shm_fs_is_an_error(void) {
  note("the paging file backs Windows mappings: no shm file system to fill");
}

void test_security_peer_uid_checked_both_ways(void) {
  note("one user under Wine: the pipe's owner-only DACL keeps other users out; "
       "checked by the GitHub Actions Windows job");
}

/* A pipe server that did not come through pipc, already at a pipc name:
   pipc's listener refuses the name rather than sharing it. */
void test_security_pipe_squatter_refused(void) {
  char name[80];
  WCHAR path[128];
  HANDLE squat;
  pipc_listener *li = NULL;
  t_name(name, sizeof name, "squat");
  _snwprintf(path, 127, L"\\\\.\\pipe\\pipc.%hs", name);
  path[127] = 0;
  squat = CreateNamedPipeW(path, PIPE_ACCESS_DUPLEX,
                           PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                           PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
  CU_ASSERT_FATAL(squat != INVALID_HANDLE_VALUE);
  T_RC(pipc_listener_create(name, &li), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(li);
  CloseHandle(squat);
  T_RC(pipc_listener_create(name, &li), PIPC_OK); /* gone: the name is free */
  if (li) pipc_listener_close(li);
}

#else /* POSIX */

/* The mode bits of shm object /pipc.NAME, or -1. */
static int shm_mode(const char *name) {
  char path[128];
  struct stat st;
  int fd, mode = -1;
  snprintf(path, sizeof path, "/pipc.%s", name);
  fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) return -1;
  if (fstat(fd, &st) == 0 && st.st_uid == geteuid()) mode = (int)(st.st_mode & 07777);
  close(fd);
  return mode;
}

static int path_mode(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0 || st.st_uid != geteuid()) return -1;
  return (int)(st.st_mode & 07777);
}

/* Under umask 000 every object is still 0600, the socket directory 0700. */
void test_security_objects_owner_only(void) {
  struct five f;
  char path[256], *slash;
  mode_t old = umask(0);
  five_make(&f);
  umask(old);
  CU_ASSERT_EQUAL(shm_mode(f.shm), 0600);
  CU_ASSERT_EQUAL(shm_mode(f.queue), 0600);
  CU_ASSERT_EQUAL(shm_mode(f.sem), 0600);
  CU_ASSERT_EQUAL(shm_mode(f.lock), 0600);
  T_RC(pipc_pipe_path(f.pipe, path, sizeof path), PIPC_OK);
  CU_ASSERT_EQUAL(path_mode(path), 0600);
  slash = strrchr(path, '/');
  CU_ASSERT_FATAL(slash != NULL);
  *slash = 0;
  CU_ASSERT_EQUAL(path_mode(path), 0700);
  five_drop(&f);
}

#define NOBODY 65534

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

void test_security_other_user_refused(void) {
  struct five f;
  char path[256];
  pipc_process *p;
  if (geteuid() != 0) {
    note("not root: a second user cannot be made here (CI runs this as root)");
    return;
  }
  five_make(&f);
  T_RC(pipc_pipe_path(f.pipe, path, sizeof path), PIPC_OK);
  p = t_spawn("as_nobody", f.shm, f.queue, f.sem, f.lock, path, NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  five_drop(&f);
}

/* XDG_RUNTIME_DIR pointed at a directory of this test's; restored after. */
struct xdg {
  char saved[512], base[128], pipc[160];
  int had;
};

static int xdg_begin(struct xdg *x) {
  const char *v = getenv("XDG_RUNTIME_DIR");
  x->had = v != NULL;
  if (v) snprintf(x->saved, sizeof x->saved, "%s", v);
  snprintf(x->base, sizeof x->base, "/tmp/pipc-test-xdg-XXXXXX");
  if (mkdtemp(x->base) == NULL) return -1;
  snprintf(x->pipc, sizeof x->pipc, "%s/pipc", x->base);
  return setenv("XDG_RUNTIME_DIR", x->base, 1);
}

static void xdg_end(struct xdg *x) {
  char cmd[256];
  if (x->had) setenv("XDG_RUNTIME_DIR", x->saved, 1);
  else unsetenv("XDG_RUNTIME_DIR");
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->base);
  if (system(cmd) != 0) fprintf(stderr, "\n  could not remove %s", x->base);
}

/* The socket directory is refused when it is a symlink, open to the group
   or the world, or another user's; a private one works (the control). */
void test_security_unsafe_socket_dir_refused(void) {
  struct xdg x;
  char name[80], other[200];
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  CU_ASSERT_FATAL(xdg_begin(&x) == 0);
  t_name(name, sizeof name, "sdir");

  /* a symlink to a private directory of ours */
  snprintf(other, sizeof other, "%s/elsewhere", x.base);
  CU_ASSERT_FATAL(mkdir(other, 0700) == 0 && symlink(other, x.pipc) == 0);
  T_RC(pipc_listener_create(name, &li), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(li);
  T_RC(pipc_pipe_connect(name, &p, 0), PIPC_EACCES);
  CU_ASSERT(unlink(x.pipc) == 0);

  /* group- or world-writable */
  CU_ASSERT_FATAL(mkdir(x.pipc, 0700) == 0);
  CU_ASSERT(chmod(x.pipc, 0770) == 0);
  T_RC(pipc_listener_create(name, &li), PIPC_EACCES);
  CU_ASSERT(chmod(x.pipc, 0707) == 0);
  T_RC(pipc_pipe_connect(name, &p, 0), PIPC_EACCES);

  /* another user's (needs root to make) */
  CU_ASSERT(chmod(x.pipc, 0700) == 0);
  if (geteuid() == 0) {
    CU_ASSERT(chown(x.pipc, NOBODY, NOBODY) == 0);
    T_RC(pipc_listener_create(name, &li), PIPC_EACCES);
    T_RC(pipc_pipe_connect(name, &p, 0), PIPC_EACCES);
    CU_ASSERT(chown(x.pipc, 0, 0) == 0);
  } else {
    note("not root: the another-user's-directory case needs root (CI runs it)");
  }

  /* the control: private and ours */
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  CU_ASSERT_PTR_NOT_NULL(li);
  if (li) pipc_listener_close(li);
  xdg_end(&x);
}

/* A symlink planted where a pipc object would be is never followed: not
   at a shared-memory name, not at a socket path; its target is untouched. */
void test_security_planted_symlink_refused(void) {
  char name[80], shmpath[128], target[128], path[256];
  pipc_shm *s = NULL;
  pipc_listener *li = NULL;
  struct stat st;
  int fd;
  t_name(name, sizeof name, "plant");
  snprintf(target, sizeof target, "/tmp/pipc-test-target-%s", name);
  fd = open(target, O_RDWR | O_CREAT | O_EXCL, 0600);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT(write(fd, "precious", 8) == 8);
  close(fd);

  if (access("/dev/shm", F_OK) == 0) { /* where Linux keeps shm names */
    snprintf(shmpath, sizeof shmpath, "/dev/shm/pipc.%s", name);
    CU_ASSERT_FATAL(symlink(target, shmpath) == 0);
    T_RC(pipc_shm_open(name, &s), PIPC_EACCES);
    CU_ASSERT_PTR_NULL(s);
    T_RC(pipc_shm_create(name, 4096, &s), PIPC_EEXIST);
    CU_ASSERT_PTR_NULL(s);
    unlink(shmpath);
  } else {
    note("no /dev/shm here: the shm half needs Linux");
  }

  T_RC(pipc_pipe_path(name, path, sizeof path), PIPC_OK);
  CU_ASSERT_FATAL(symlink(target, path) == 0);
  T_RC(pipc_listener_create(name, &li), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(li);
  CU_ASSERT(lstat(path, &st) == 0 && S_ISLNK(st.st_mode)); /* not removed either */
  unlink(path);

  CU_ASSERT(stat(target, &st) == 0 && st.st_size == 8);
  unlink(target);
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

void test_security_out_of_descriptors_leaves_nothing(void) {
  struct five f;
  char path[256];
  pipc_process *p;
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  pipc_pipe *c = NULL;
  struct stat st;
  memset(&f, 0, sizeof f);
  t_name(f.shm, sizeof f.shm, "fshm");
  t_name(f.queue, sizeof f.queue, "fqueue");
  t_name(f.sem, sizeof f.sem, "fsem");
  t_name(f.lock, sizeof f.lock, "flock");
  t_name(f.pipe, sizeof f.pipe, "fpipe");
  p = t_spawn("few_fds", f.shm, f.queue, f.sem, f.lock, f.pipe, NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  /* nothing half-made was left under any of the names */
  T_RC(pipc_shm_open(f.shm, &s), PIPC_ENOENT);
  T_RC(pipc_queue_open(f.queue, &q), PIPC_ENOENT);
  T_RC(pipc_sem_open(f.sem, &m), PIPC_ENOENT);
  T_RC(pipc_lock_open(f.lock, &l), PIPC_ENOENT);
  T_RC(pipc_pipe_connect(f.pipe, &c, 0), PIPC_ENOENT);
  T_RC(pipc_pipe_path(f.pipe, path, sizeof path), PIPC_OK);
  CU_ASSERT(lstat(path, &st) != 0);
  strcat(path, ".lock");
  CU_ASSERT(lstat(path, &st) != 0);
}

#ifdef __linux__
/* argv: full_shm SHM QUEUE -> in a private mount namespace, a 256 KiB
   tmpfs over /dev/shm; then a 1 MiB shm and a 1 MiB queue must fail at
   create with PIPC_ENOMEM and leave no name, and a segment that fits must
   be usable to its last byte (no SIGBUS).  Exit 0, or the failing step. */
int role_full_shm(int argc, char **argv) {
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  int rc;
  if (argc < 3) return 10;
  if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=1777") != 0)
    return 11;
  if ((rc = pipc_shm_create(argv[1], 1 << 20, &s)) != PIPC_ENOMEM || s) return 21;
  if ((rc = pipc_shm_open(argv[1], &s)) != PIPC_ENOENT) return 22; /* nothing left */
  if ((rc = pipc_queue_create(argv[2], 1024, 1024, &q)) != PIPC_ENOMEM || q) return 23;
  if ((rc = pipc_queue_open(argv[2], &q)) != PIPC_ENOENT) return 24;
  if (pipc_shm_create(argv[1], 128 << 10, &s) != PIPC_OK) return 25;
  memset(pipc_shm_addr(s), 0xee, 128 << 10); /* every page is there */
  pipc_shm_unlink(argv[1]);
  pipc_shm_close(s);
  return 0;
}

/* A full shm file system is an error at create, never a SIGBUS later. */
void test_security_full_shm_fs_is_an_error(void) {
  char sn[80], qn[80];
  pipc_process *p;
  if (geteuid() != 0) {
    note("not root: cannot mount a small tmpfs here (CI runs it as root)");
    return;
  }
  t_name(sn, sizeof sn, "fullshm");
  t_name(qn, sizeof qn, "fullq");
  p = t_spawn("full_shm", sn, qn, NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
}
#else
void test_security_full_shm_fs_is_an_error(void) {
  note("needs Linux mount namespaces to make a small shm file system");
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

/* The uid checks behind the directory: with the socket directory opened up
   on purpose (by root, for this test), a listener drops a client of
   another user, and a client refuses a listener of another user. */
void test_security_peer_uid_checked_both_ways(void) {
  char name[80], path[256], dir[256], *slash;
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  pipc_process *c;
  struct stat st;
  int64_t until;
  struct xdg x;
  if (geteuid() != 0) {
    note("not root: a second user cannot be made here (CI runs this as root)");
    return;
  }
  /* a socket directory of this test's own: opening it up must not touch
     the one other pipc processes of this user are using */
  CU_ASSERT_FATAL(xdg_begin(&x) == 0);
  CU_ASSERT(chmod(x.base, 0711) == 0); /* uid 65534 may pass through */
  t_name(name, sizeof name, "peeruid");
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  CU_ASSERT_FATAL(li != NULL);
  T_RC(pipc_pipe_path(name, path, sizeof path), PIPC_OK);
  snprintf(dir, sizeof dir, "%s", path);
  slash = strrchr(dir, '/');
  CU_ASSERT_FATAL(slash != NULL);
  *slash = 0;
  CU_ASSERT_FATAL(stat(dir, &st) == 0);
  CU_ASSERT(chmod(dir, 0733) == 0 && chmod(path, 0666) == 0); /* opened up */

  /* a client of another uid reaches the socket: the listener drops it */
  c = t_spawn("intruder", path, "client", NULL);
  T_RC(pipc_listener_accept(li, &p, 3000), PIPC_ETIMEDOUT);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  pipc_listener_close(li);

  /* a listener of another uid at a pipc name: the client refuses it */
  c = t_spawn("intruder", path, "server", NULL);
  until = t_now_ms() + 10000;
  while (lstat(path, &st) != 0 && t_now_ms() < until) pipc_sleep_ms(5);
  CU_ASSERT(chmod(dir, 0700) == 0); /* private again: only the uid check is left */
  /* (bound is not yet listening: connect waits for that, then refuses) */
  T_RC(pipc_pipe_connect(name, &p, 10000), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  xdg_end(&x);
}

void test_security_pipe_squatter_refused(void) {
  note("POSIX: another user cannot enter the 0700 socket directory "
       "(other_user_refused, unsafe_socket_dir_refused); a socket of this user's "
       "without the name's lock is a dead listener's and is reclaimed");
}

#endif
