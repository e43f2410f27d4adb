/* test_security.c - default-deny: objects are the creating user's only;
   unsafe socket directories, planted symlinks and other users are refused;
   running out of descriptors leaves no half-made name behind.

   One body per case for every platform; the OS-specific steps are in
   os_posix.c / os_win32.c (os.h).  What a platform here cannot show (a
   second user under Wine, which runs as one user; anything needing root)
   is a counted skip with its reason; the Windows second-user cases are
   covered by the GitHub Actions Windows job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"

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

/* Under the loosest default permissions every object is still owner-only
   (POSIX: 0600 under umask 000, the socket directory 0700). */
void test_security_objects_owner_only(void) {
  struct five f;
  unsigned saved = t_os_loosen_defaults();
  int listener;
  five_make(&f);
  t_os_restore_defaults(saved);
  CU_ASSERT(t_os_object_owner_only(f.shm));
  CU_ASSERT(t_os_object_owner_only(f.queue));
  CU_ASSERT(t_os_object_owner_only(f.sem));
  CU_ASSERT(t_os_object_owner_only(f.lock));
  listener = t_os_listener_owner_only(f.pipe);
  if (listener != -1) { /* -1: nothing to look at here (os.h) */
    CU_ASSERT_EQUAL(listener, 1);
  }
  five_drop(&f);
}

/* Another user opens nothing: every open is PIPC_EACCES and the socket is
   not even reachable (role as_nobody, os_posix.c). */
void test_security_other_user_refused(void) {
  struct five f;
  char path[256];
  pipc_process *p;
  const char *why = t_os_why_no_second_user();
  if (why) T_SKIP(why);
  five_make(&f);
  T_RC(pipc_pipe_path(f.pipe, path, sizeof path), PIPC_OK);
  p = t_spawn("as_nobody", f.shm, f.queue, f.sem, f.lock, path, NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  five_drop(&f);
}

/* A listener and a client at a name in an unsafe socket directory: both
   refused with PIPC_EACCES, and no listener made. */
static void expect_dir_refused(const char *name) {
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  T_RC(pipc_listener_create(name, &li), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(li);
  if (li) pipc_listener_close(li);
  T_RC(pipc_pipe_connect(name, &p, 0), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(p);
  if (p) pipc_pipe_close(p);
}

/* The socket directory is refused when it is a symlink, open to the group
   or the world, or another user's; a private one works (the control). */
void test_security_unsafe_socket_dir_refused(void) {
  t_sockdir *d;
  char name[80];
  pipc_listener *li = NULL;
  const char *why = t_os_sockdir_begin(&d);
  if (why) T_SKIP(why);
  CU_ASSERT_FATAL(d != NULL);
  t_name(name, sizeof name, "sdir");
  CU_ASSERT(t_os_sockdir_set(d, T_DIR_SYMLINK) == 0); /* to a private dir of ours */
  expect_dir_refused(name);
  CU_ASSERT(t_os_sockdir_set(d, T_DIR_GROUP_WRITABLE) == 0);
  expect_dir_refused(name);
  CU_ASSERT(t_os_sockdir_set(d, T_DIR_WORLD_WRITABLE) == 0);
  expect_dir_refused(name);

  /* the control: private and ours */
  CU_ASSERT(t_os_sockdir_set(d, T_DIR_PRIVATE) == 0);
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  CU_ASSERT_PTR_NOT_NULL(li);
  if (li) pipc_listener_close(li);

  /* another user's: needs root to make; the rest above has run */
  if (t_os_why_no_second_user() != NULL) {
    t_os_sockdir_end(d);
    T_SKIP("not root: the another-user's-directory part needs a second user (CI runs it)");
  }
  CU_ASSERT(t_os_sockdir_set(d, T_DIR_OTHER_USERS) == 0);
  expect_dir_refused(name);
  t_os_sockdir_end(d);
}

/* A symlink planted where a pipc object would be is never followed: not
   at a socket path, not at a shared-memory name; its target is untouched. */
void test_security_planted_symlink_refused(void) {
  char name[80], shmpath[128], target[128], path[256];
  pipc_shm *s = NULL;
  pipc_listener *li = NULL;
  const char *why = t_os_why_no_symlinks();
  if (why) T_SKIP(why);
  t_name(name, sizeof name, "plant");
  CU_ASSERT_FATAL(t_os_precious_make(target, sizeof target, name) == 0);

  T_RC(pipc_pipe_path(name, path, sizeof path), PIPC_OK);
  CU_ASSERT_FATAL(t_os_symlink(target, path) == 0);
  T_RC(pipc_listener_create(name, &li), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(li);
  CU_ASSERT(t_os_is_symlink(path)); /* not removed either */
  t_os_remove(path);
  CU_ASSERT(t_os_precious_intact(target));

  if ((why = t_os_shm_file(name, shmpath, sizeof shmpath)) != NULL) {
    t_os_remove(target);
    T_SKIP(why);
  }
  CU_ASSERT_FATAL(t_os_symlink(target, shmpath) == 0);
  T_RC(pipc_shm_open(name, &s), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_shm_create(name, 4096, &s), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(s);
  t_os_remove(shmpath);
  CU_ASSERT(t_os_precious_intact(target));
  t_os_remove(target);
}

/* With every descriptor in use, each create fails with an error (role
   few_fds, os_posix.c), and nothing half-made is left under any name. */
void test_security_out_of_descriptors_leaves_nothing(void) {
  struct five f;
  char path[256];
  pipc_process *p;
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  pipc_pipe *c = NULL;
  const char *why = t_os_why_no_fd_limit();
  if (why) T_SKIP(why);
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
  CU_ASSERT(!t_os_path_exists(path));
  strcat(path, ".lock");
  CU_ASSERT(!t_os_path_exists(path));
}

/* A full shm file system is an error at create, never a SIGBUS later
   (role full_shm, os_posix.c: a small tmpfs in a mount namespace). */
void test_security_full_shm_fs_is_an_error(void) {
  char sn[80], qn[80];
  pipc_process *p;
  const char *why = t_os_why_no_small_shm_fs();
  if (why) T_SKIP(why);
  t_name(sn, sizeof sn, "fullshm");
  t_name(qn, sizeof qn, "fullq");
  p = t_spawn("full_shm", sn, qn, NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
}

/* The uid checks behind the directory: with the socket directory opened up
   on purpose (by root, for this test), a listener drops a client of
   another user, and a client refuses a listener of another user (role
   intruder, os_posix.c). */
void test_security_peer_uid_checked_both_ways(void) {
  char name[80], path[256];
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  pipc_process *c;
  int64_t until;
  t_sockdir *d;
  const char *why = t_os_why_no_second_user();
  if (why) T_SKIP(why);
  /* a socket directory of this test's own: opening it up must not touch
     the one other pipc processes of this user are using */
  if ((why = t_os_sockdir_begin(&d)) != NULL) T_SKIP(why);
  CU_ASSERT_FATAL(d != NULL);
  t_name(name, sizeof name, "peeruid");
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  CU_ASSERT_FATAL(li != NULL);
  T_RC(pipc_pipe_path(name, path, sizeof path), PIPC_OK);
  CU_ASSERT(t_os_sockdir_open_up(d, path) == 0);

  /* a client of another uid reaches the socket: the listener drops it */
  c = t_spawn("intruder", path, "client", NULL);
  T_RC(pipc_listener_accept(li, &p, 3000), PIPC_ETIMEDOUT);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  pipc_listener_close(li);

  /* a listener of another uid at a pipc name: the client refuses it */
  c = t_spawn("intruder", path, "server", NULL);
  until = t_now_ms() + 10000;
  while (!t_os_path_exists(path) && t_now_ms() < until) pipc_sleep_ms(5);
  CU_ASSERT(t_os_sockdir_set(d, T_DIR_PRIVATE) == 0); /* only the uid check is left */
  /* (bound is not yet listening: connect waits for that, then refuses) */
  T_RC(pipc_pipe_connect(name, &p, 10000), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  t_os_sockdir_end(d);
}

/* A pipe server that did not come through pipc, already at a pipc name:
   pipc's listener refuses the name rather than sharing it. */
void test_security_pipe_squatter_refused(void) {
  char name[80];
  void *squat;
  pipc_listener *li = NULL;
  const char *why = t_os_why_no_squatter();
  if (why) T_SKIP(why);
  t_name(name, sizeof name, "squat");
  squat = t_os_squat_pipe(name);
  CU_ASSERT_FATAL(squat != NULL);
  T_RC(pipc_listener_create(name, &li), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(li);
  t_os_unsquat(squat);
  T_RC(pipc_listener_create(name, &li), PIPC_OK); /* gone: the name is free */
  if (li) pipc_listener_close(li);
}
