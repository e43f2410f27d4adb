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
#include "kinds.h"
#include "os.h"

/* Five named objects of every kind (kinds.h), owner-only. */
static void five_make(t_kinds *f) {
  t_kinds_names(f, "sec");
  t_kinds_make(f, NULL, 1);
}

/* Under the loosest default permissions every object is still owner-only
   (POSIX: 0600 under umask 000, the socket directory 0700). */
void test_security_objects_owner_only(void) {
  t_kinds f;
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
  t_kinds_drop(&f);
}

/* Another user opens nothing: every open is PIPC_EACCES and the socket is
   not even reachable (role as_nobody, os_posix.c). */
void test_security_other_user_refused(void) {
  t_kinds f;
  char path[256];
  pipc_process *p;
  const char *why = t_os_why_no_second_user();
  if (why) T_SKIP(why);
  five_make(&f);
  T_RC(pipc_pipe_path(f.pipe, path, sizeof path), PIPC_OK);
  p = t_spawn("as_nobody", f.shm, f.queue, f.sem, f.lock, path, NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  t_kinds_drop(&f);
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
  t_kinds f;
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

struct find_state {
  const char *name;
  int state;
};

static int find_state(void *arg, const pipc_entry_t *e) {
  struct find_state *f = (struct find_state *)arg;
  if (e->kind == PIPC_KIND_LISTENER && strcmp(e->name, f->name) == 0) f->state = (int)e->state;
  return 0;
}

/* The state pipc_list gives listener `name`, or -1 if it is not listed. */
static int listed_state(const char *name) {
  struct find_state f;
  f.name = name;
  f.state = -1;
  pipc_list(find_state, &f);
  return f.state;
}

/* A pipe server that did not come through pipc, already at a pipc name
   (a Python Listener at `pipc path NAME`): pipc's listener refuses the
   name rather than taking it over - the server is still reachable, and
   on Linux was not even disturbed by a probe - and pipc_list calls it
   FOREIGN. */
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
  T_RC(pipc_listener_create(name, &li), PIPC_EEXIST); /* and again */
  /* Linux, Windows: the squatter was not disturbed; macOS, the BSDs: pipc
     connected once to learn that it serves */
  CU_ASSERT_EQUAL(t_os_squat_pending(squat), t_os_probes_foreign_pipes());
  CU_ASSERT(t_os_squat_reachable(squat));
  if (t_os_lists_foreign_pipes()) CU_ASSERT_EQUAL(listed_state(name), (int)PIPC_STATE_FOREIGN);
  t_os_unsquat(squat);
  T_RC(pipc_listener_create(name, &li), PIPC_OK); /* gone: the name is free */
  if (li) pipc_listener_close(li);
}

/* ---- sharing on purpose (pipc_attr): a group, every user ---- */

/* A group for the sharing cases: any number works, the kernel checks ids
   (the helper takes it as its primary group to be a member). */
#define T_GROUP "54321"

/* The five objects, shared as `a` says. */
static void shared_make(t_kinds *f, const pipc_attr *a) {
  t_kinds_names(f, "shared");
  t_kinds_make(f, a, 1);
}

/* What role as_user did with each object, seen from here; the pipe's
   peer is the helper's user and group. */
static void shared_used(t_kinds *f, long uid, long gid) {
  char buf[32];
  size_t n = 0;
  unsigned v = 0;
  pipc_pipe *p = NULL;
  pipc_peer who;
  CU_ASSERT_FATAL(f->s && f->q && f->m && f->l && f->li);
  CU_ASSERT(memcmp(pipc_shm_addr(f->s), "child", 6) == 0);
  T_RC(pipc_queue_get(f->q, buf, sizeof buf, &n, 0), PIPC_OK);
  CU_ASSERT(n == 10 && memcmp(buf, "from-child", 10) == 0);
  T_RC(pipc_sem_value(f->m, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 1);
  T_RC(pipc_lock_acquire(f->l, 0), PIPC_OK); /* released by the helper */
  pipc_lock_release(f->l);
  T_RC(pipc_listener_accept(f->li, &p, 10000), PIPC_OK);
  if (p == NULL) return;
  T_RC(pipc_pipe_recv(p, buf, sizeof buf, &n, 10000), PIPC_OK);
  CU_ASSERT(n == 5 && memcmp(buf, "hello", 5) == 0);
  T_RC(pipc_pipe_peer(p, &who), PIPC_OK);
  CU_ASSERT_EQUAL(who.uid, uid);
  CU_ASSERT_EQUAL(who.gid, gid);
  pipc_pipe_close(p);
}

/* Made for a group: a member opens and uses every kind (the listener's
   socket in the group's directory); another user is refused each one
   (PIPC_EACCES), and the objects stay usable. */
void test_security_group_shared_for_members_only(void) {
  t_kinds f;
  pipc_attr a;
  pipc_process *p;
  const char *why = t_os_why_no_second_user();
  if (why) T_SKIP(why);
  long was = -1;
  memset(&a, 0, sizeof a);
  a.access = PIPC_ACCESS_GROUP;
  a.group = T_GROUP;
  if (t_os_shm_group_is_creators()) {
    /* macOS: a segment shared with a group other than the creator's own
       is refused as such; made by a member of the group, it is shared */
    pipc_shm *s = NULL;
    char name[80];
    t_name(name, sizeof name, "grpnot");
    T_RC(pipc_shm_create_attr(name, 64, &a, &s), PIPC_ENOTSUP);
    CU_ASSERT_PTR_NULL(s);
    was = t_os_set_egid(atol(T_GROUP));
    CU_ASSERT_FATAL(was >= 0);
  }
  shared_make(&f, &a);
  if (was >= 0) CU_ASSERT_EQUAL(t_os_set_egid(was), atol(T_GROUP));
  p = t_spawn("as_user", "member", T_GROUP, "group", f.shm, f.queue, f.sem, f.lock, f.pipe,
              "ok", NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  shared_used(&f, 65534, atol(T_GROUP));
  p = t_spawn("as_user", "other", T_GROUP, "group", f.shm, f.queue, f.sem, f.lock, f.pipe,
              "refused", NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  t_kinds_drop(&f);
}

/* Made for every user: a user in no group of ours opens and uses each
   (with an attr that says it takes shared objects: its plain opens are
   refused).  And the other way: what that user shares with everyone is
   refused to this user's plain open - nobody can plant an object at a
   name for a plain open to trust - and taken by an open with the attr. */
void test_security_all_users_shared(void) {
  t_kinds f;
  pipc_attr a;
  pipc_process *p;
  pipc_queue *q = NULL;
  char planted[80], buf[16];
  size_t n = 0;
  const char *why = t_os_why_no_second_user();
  if (why) T_SKIP(why);
  memset(&a, 0, sizeof a);
  a.access = PIPC_ACCESS_ALL;
  shared_make(&f, &a);
  p = t_spawn("as_user", "other", T_GROUP, "all", f.shm, f.queue, f.sem, f.lock, f.pipe, "ok",
              NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  shared_used(&f, 65534, 65534);
  t_kinds_drop(&f);

  t_name(planted, sizeof planted, "planted");
  p = t_spawn("as_user", "other", T_GROUP, "all", "-", planted, "-", "-", "-", "make", NULL);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  T_RC(pipc_queue_open(planted, &q), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(q);
  T_RC(pipc_queue_open_attr(planted, &a, &q), PIPC_OK);
  if (q) {
    T_RC(pipc_queue_get(q, buf, sizeof buf, &n, 0), PIPC_OK);
    CU_ASSERT(n == 7 && memcmp(buf, "planted", 7) == 0);
    pipc_queue_close(q);
  }
  T_RC(pipc_queue_unlink(planted), PIPC_OK); /* root may */
}

/* A listener or client at a shared directory of the caller's choosing
   (pipc_attr.dir): rc from each. */
static void dir_expect(const pipc_attr *a, const char *name, int listen_rc, int connect_rc) {
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  T_RC(pipc_listener_create_ex(name, a, &li), listen_rc);
  if (li) pipc_listener_close(li);
  T_RC(pipc_pipe_connect_ex(name, a, &p, 0), connect_rc);
  if (p) pipc_pipe_close(p);
}

/* The checks on a shared socket directory: a relative or missing one is
   refused, and so are a symlink, one others may write to (a group's:
   even sticky; everyone's: unless sticky), and - for a listener, which
   gives its socket a mode by path - one another user owns.  A good one
   works (the control: a listener there, a client finds it). */
void test_security_shared_dir_checked(void) {
  char base[128], dir[256], name[80];
  pipc_attr g, all;
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL, *q = NULL;
  const char *why = t_os_shared_dir_make(base, sizeof base);
  if (why) T_SKIP(why);
  t_name(name, sizeof name, "sdir");
  memset(&g, 0, sizeof g);
  g.access = PIPC_ACCESS_GROUP;
  g.group = T_GROUP;
  g.dir = dir;
  all = g;
  all.access = PIPC_ACCESS_ALL;
  all.group = NULL;

  CU_ASSERT(t_os_shared_dir_set(base, T_SDIR_RELATIVE, dir, sizeof dir) == 0);
  dir_expect(&g, name, PIPC_EINVAL, PIPC_EINVAL);
  CU_ASSERT(t_os_shared_dir_set(base, T_SDIR_MISSING, dir, sizeof dir) == 0);
  dir_expect(&g, name, PIPC_ENOENT, PIPC_ENOENT);
  CU_ASSERT(t_os_shared_dir_set(base, T_SDIR_SYMLINK, dir, sizeof dir) == 0);
  dir_expect(&g, name, PIPC_EACCES, PIPC_EACCES);
  CU_ASSERT(t_os_shared_dir_set(base, T_SDIR_WORLD, dir, sizeof dir) == 0);
  dir_expect(&g, name, PIPC_EACCES, PIPC_EACCES);
  dir_expect(&all, name, PIPC_EACCES, PIPC_EACCES);
  CU_ASSERT(t_os_shared_dir_set(base, T_SDIR_STICKY, dir, sizeof dir) == 0);
  dir_expect(&g, name, PIPC_EACCES, PIPC_EACCES);
  dir_expect(&all, name, PIPC_OK, PIPC_ENOENT); /* everyone's may be sticky */

  /* the control */
  CU_ASSERT(t_os_shared_dir_set(base, T_SDIR_GOOD, dir, sizeof dir) == 0);
  T_RC(pipc_listener_create_ex(name, &all, &li), PIPC_OK);
  T_RC(pipc_pipe_connect_ex(name, &all, &p, 5000), PIPC_OK);
  if (li) T_RC(pipc_listener_accept(li, &q, 5000), PIPC_OK);
  if (p) pipc_pipe_close(p);
  if (q) pipc_pipe_close(q);
  if (li) pipc_listener_close(li);

  if (t_os_why_no_second_user() == NULL) {
    CU_ASSERT(t_os_shared_dir_set(base, T_SDIR_OTHER_OWNER, dir, sizeof dir) == 0);
    dir_expect(&all, name, PIPC_EACCES, PIPC_ENOENT); /* a client may look there */
  }
  t_os_shared_dir_end(base);
}

/* The peer checks behind a group's socket permissions, with the socket
   and its directory opened up on purpose (by root, for this test): a
   group listener drops a client that is neither its user, root nor a
   member, and a group client refuses such a listener (role intruder). */
void test_security_group_peer_checked_both_ways(void) {
  char base[128], dir[256], name[80], path[400];
  pipc_attr g;
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  pipc_process *c;
  int64_t until;
  const char *why = t_os_why_no_second_user();
  if (why) T_SKIP(why);
  if ((why = t_os_shared_dir_make(base, sizeof base)) != NULL) T_SKIP(why);
  t_name(name, sizeof name, "gpeer");
  memset(&g, 0, sizeof g);
  g.access = PIPC_ACCESS_GROUP;
  g.group = T_GROUP;
  g.dir = dir;
  CU_ASSERT_FATAL(t_os_shared_dir_set(base, T_SDIR_GOOD, dir, sizeof dir) == 0);
  snprintf(path, sizeof path, "%s/%s", dir, name);

  /* a non-member reaches the socket: the listener drops it */
  T_RC(pipc_listener_create_ex(name, &g, &li), PIPC_OK);
  CU_ASSERT_FATAL(li != NULL);
  CU_ASSERT(t_os_chmod(path, 0666) == 0);
  c = t_spawn("intruder", path, "client", NULL);
  T_RC(pipc_listener_accept(li, &p, 3000), PIPC_ETIMEDOUT);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  pipc_listener_close(li);

  /* a non-member listens in the group's directory: the client refuses it */
  CU_ASSERT(t_os_chmod(dir, 0777) == 0);
  c = t_spawn("intruder", path, "server", NULL);
  until = t_now_ms() + 10000;
  while (!t_os_path_exists(path) && t_now_ms() < until) pipc_sleep_ms(5);
  CU_ASSERT(t_os_chmod(dir, 0755) == 0); /* only the peer check is left */
  T_RC(pipc_pipe_connect_ex(name, &g, &p, 10000), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  t_os_shared_dir_end(base);
}
