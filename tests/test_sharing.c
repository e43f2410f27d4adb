/* test_sharing.c - sharing on purpose (issue 16): creation attributes
   (pipc_attr) are checked, each access level reads back from the OS as
   asked and the objects still work from another process, an SDDL string
   round-trips (Windows), Global\ objects are found by plain opens, and a
   pipe's peer identity is what the OS says.

   One body per case for every platform; what the OS shows is read in
   os_posix.c / os_win32.c (os.h).  One user runs here: what a second user
   sees (a group member let in, a non-member refused) is the POSIX
   engineer's root-only cases and, on Windows, a real second user's (see
   docs); what a platform cannot show is a counted skip with its reason.

   Windows, what one user under Wine cannot show and a real machine with a
   second user must: a member of the group (BUILTIN\Users) and any
   authenticated user open a GROUP / ALL object of each kind and a
   non-member of the group is refused (PIPC_EACCES); neither can make a
   pipe instance of a shared listener's name (no FILE_CREATE_PIPE_INSTANCE)
   nor change its DACL; a plain pipc_pipe_connect refuses a server of the
   other user (PIPC_EACCES) and connect_ex with ALL accepts it; a server's
   pipc_pipe_peer names the other user's SID (after a recv: impersonation);
   Global\ creation without SeCreateGlobalPrivilege is PIPC_EACCES (Wine
   grants it: global_refused_without_privilege skips there); an object in
   Global\ is found from another session.  Wine also keeps generic rights
   in stored DACLs where Windows maps them: the readbacks map both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kinds.h"
#include "os.h"

/* Compare a call's result with the expected one, saying which call and
   which attr went wrong. */
#define S_RC(what, expr, want)                                                \
  do {                                                                        \
    int s_rc_ = (expr);                                                       \
    if (s_rc_ != (want))                                                      \
      fprintf(stderr, "\n  [%s] ", (what));                                   \
    T_RC(s_rc_, (want));                                                      \
  } while (0)


/* Every create refuses attr a with `want` and leaves nothing behind;
   segments_only: the listener is not asked (an authkey is for pipes). */
static void expect_refused(const char *what, const pipc_attr *a, int want, int segments_only) {
  char name[80];
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  pipc_kind kind;
  t_name(name, sizeof name, "bad");
  S_RC(what, pipc_shm_create_attr(name, 4096, a, &s), want);
  S_RC(what, pipc_queue_create_attr(name, 4, 16, a, &q), want);
  S_RC(what, pipc_sem_create_attr(name, 0, 0, 0, a, &m), want);
  S_RC(what, pipc_lock_create_attr(name, a, &l), want);
  CU_ASSERT(s == NULL && q == NULL && m == NULL && l == NULL);
  if (!segments_only) {
    S_RC(what, pipc_listener_create_ex(name, a, &li), want);
    CU_ASSERT_PTR_NULL(li);
    if (want == PIPC_EINVAL) { /* a client checks its attr before anything else */
      S_RC(what, pipc_pipe_connect_ex(name, a, &p, 0), want);
      CU_ASSERT_PTR_NULL(p);
    }
  }
  S_RC(what, pipc_kind_of(name, &kind), PIPC_ENOENT); /* nothing half-made */
  if (s) { /* made all the same (a failure above): leave nothing behind */
    pipc_shm_unlink(name);
    pipc_shm_close(s);
  }
  if (q) pipc_queue_close(q);
  if (m) pipc_sem_close(m);
  if (l) pipc_lock_close(l);
  if (li) pipc_listener_close(li);
  if (p) pipc_pipe_close(p);
}

/* A bad attr is PIPC_EINVAL for every kind, before anything is made. */
void test_sharing_bad_attrs_are_einval(void) {
  char sddl[512];
  pipc_attr a;
  memset(&a, 0, sizeof a);
  a.access = (pipc_access)7;
  expect_refused("unknown access", &a, PIPC_EINVAL, 0);
  memset(&a, 0, sizeof a);
  a.flags = 0x80u;
  expect_refused("unknown flag", &a, PIPC_EINVAL, 0);
  a.flags = PIPC_ATTR_GLOBAL | 0x2u;
  expect_refused("GLOBAL and an unknown flag", &a, PIPC_EINVAL, 0);
  memset(&a, 0, sizeof a);
  a.access = PIPC_ACCESS_GROUP;
  expect_refused("GROUP without a group", &a, PIPC_EINVAL, 0);
  a.group = "";
  expect_refused("GROUP with an empty group", &a, PIPC_EINVAL, 0);
  memset(&a, 0, sizeof a);
  a.group = t_os_common_group();
  expect_refused("a group without GROUP", &a, PIPC_EINVAL, 0);
  a.access = PIPC_ACCESS_ALL;
  expect_refused("a group with ALL", &a, PIPC_EINVAL, 0);
  memset(&a, 0, sizeof a);
  a.sddl = "";
  expect_refused("an empty sddl", &a, PIPC_EINVAL, 0);
  a.sddl = t_os_sddl_sample(sddl, sizeof sddl);
  a.access = PIPC_ACCESS_GROUP;
  a.group = t_os_common_group();
  expect_refused("an sddl with GROUP", &a, PIPC_EINVAL, 0);
  a.access = PIPC_ACCESS_ALL;
  a.group = NULL;
  expect_refused("an sddl with ALL", &a, PIPC_EINVAL, 0);
  memset(&a, 0, sizeof a);
  a.dir = "";
  expect_refused("an empty dir", &a, PIPC_EINVAL, 0);
  memset(&a, 0, sizeof a);
  a.authkey = "key";
  a.authkey_len = 3;
  expect_refused("an authkey on a segment", &a, PIPC_EINVAL, 1);
  a.authkey_len = 0;
  expect_refused("an authkey of length 0", &a, PIPC_EINVAL, 0);
  a.authkey = NULL;
  a.authkey_len = 3;
  expect_refused("an authkey_len without a key", &a, PIPC_EINVAL, 0);
  a.authkey = "key";
  a.authkey_len = PIPC_AUTHKEY_MAX + 1;
  expect_refused("an authkey over PIPC_AUTHKEY_MAX", &a, PIPC_EINVAL, 0);
}

/* A group the system does not know is PIPC_ENOENT, for every kind. */
void test_sharing_unknown_group_is_enoent(void) {
  pipc_attr a;
  memset(&a, 0, sizeof a);
  a.access = PIPC_ACCESS_GROUP;
  a.group = "pipc-no-such-group-4711";
  expect_refused("an unknown group", &a, PIPC_ENOENT, 0);
}

/* The access the OS shows for each of k's objects is `level`; the
   listener's is looked at through a connection of ours (client attr a). */
static void expect_level(t_kinds *k, int level, const pipc_attr *a, const char *group) {
  const char *names[4];
  char why[600];
  pipc_pipe *c = NULL, *sv = NULL;
  int i, got;
  names[0] = k->shm;
  names[1] = k->queue;
  names[2] = k->sem;
  names[3] = k->lock;
  for (i = 0; i < 4; i++) {
    got = t_os_object_access(names[i], NULL, group, why, sizeof why);
    if (got != level) fprintf(stderr, "\n  %s: access %d, wanted %d (%s)", names[i], got, level, why);
    CU_ASSERT_EQUAL(got, level);
  }
  T_RC(pipc_pipe_connect_ex(k->pipe, a, &c, 10000), PIPC_OK);
  T_RC(pipc_listener_accept(k->li, &sv, 10000), PIPC_OK);
  if (c) {
    got = t_os_object_access(k->pipe, c, group, why, sizeof why);
    if (got != level) fprintf(stderr, "\n  %s: access %d, wanted %d (%s)", k->pipe, got, level, why);
    CU_ASSERT_EQUAL(got, level);
    pipc_pipe_close(c);
  }
  if (sv) pipc_pipe_close(sv);
}

/* Another process opens and uses each of k's objects (role share_use,
   which connects with attr spelt `how`), and what it did is seen here. */
static void expect_used_elsewhere(t_kinds *k, const char *how, const char *group) {
  pipc_process *p;
  pipc_pipe *sv = NULL;
  char buf[64];
  size_t n = 0;
  p = t_spawn("share_use", how, group ? group : "-", k->shm, k->queue, k->sem, k->lock,
              k->pipe, NULL);
  CU_ASSERT_FATAL(p != NULL);
  T_RC(pipc_listener_accept(k->li, &sv, 20000), PIPC_OK);
  if (sv) {
    T_RC(pipc_pipe_recv(sv, buf, sizeof buf, &n, 20000), PIPC_OK);
    CU_ASSERT(n == 5 && memcmp(buf, "hello", 5) == 0);
    T_RC(pipc_pipe_send(sv, "ok", 2, 5000), PIPC_OK);
  }
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  if (sv) pipc_pipe_close(sv);
  CU_ASSERT_EQUAL(((unsigned char *)pipc_shm_addr(k->s))[0], 0x5a);
  T_RC(pipc_queue_get(k->q, buf, sizeof buf, &n, 0), PIPC_OK);
  CU_ASSERT(n == 2 && memcmp(buf, "hi", 2) == 0);
  T_RC(pipc_sem_wait(k->m, 0), PIPC_OK);
  T_RC(pipc_lock_acquire(k->l, 0), PIPC_OK);
  T_RC(pipc_lock_release(k->l), PIPC_OK);
}

/* argv: share_use HOW GROUP SHM QUEUE SEM LOCK PIPE - HOW is the attr the
   client connects with: owner, group (GROUP, the group), all, global, or
   "sddl:" and the string.  Opens each object plainly and uses it: shm
   byte 0 = 0x5a, queue put "hi", sem post, lock acquire + release; pipe:
   send "hello", wait for "ok".  Exit 0, or which step failed. */
int role_share_use(int argc, char **argv) {
  pipc_attr a;
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  pipc_pipe *p = NULL;
  char buf[8];
  size_t n = 0;
  int rc;
  if (argc < 8) return 10;
  memset(&a, 0, sizeof a);
  if (strcmp(argv[1], "group") == 0) {
    a.access = PIPC_ACCESS_GROUP;
    a.group = argv[2];
  } else if (strcmp(argv[1], "all") == 0) {
    a.access = PIPC_ACCESS_ALL;
  } else if (strcmp(argv[1], "global") == 0) {
    a.flags = PIPC_ATTR_GLOBAL;
  } else if (strncmp(argv[1], "sddl:", 5) == 0) {
    a.sddl = argv[1] + 5;
  }
  if ((rc = pipc_shm_open(argv[3], &s)) != PIPC_OK) {
    fprintf(stderr, "share_use: shm_open: %s\n", pipc_strerror(rc));
    return 11;
  }
  ((unsigned char *)pipc_shm_addr(s))[0] = 0x5a;
  pipc_shm_close(s);
  if ((rc = pipc_queue_open(argv[4], &q)) != PIPC_OK ||
      (rc = pipc_queue_put(q, "hi", 2, 5000)) != PIPC_OK) {
    fprintf(stderr, "share_use: queue: %s\n", pipc_strerror(rc));
    return 12;
  }
  pipc_queue_close(q);
  if ((rc = pipc_sem_open(argv[5], &m)) != PIPC_OK || (rc = pipc_sem_post(m)) != PIPC_OK) {
    fprintf(stderr, "share_use: sem: %s\n", pipc_strerror(rc));
    return 13;
  }
  pipc_sem_close(m);
  if ((rc = pipc_lock_open(argv[6], &l)) != PIPC_OK ||
      (rc = pipc_lock_acquire(l, 5000)) != PIPC_OK || (rc = pipc_lock_release(l)) != PIPC_OK) {
    fprintf(stderr, "share_use: lock: %s\n", pipc_strerror(rc));
    return 14;
  }
  pipc_lock_close(l);
  if ((rc = pipc_pipe_connect_ex(argv[7], &a, &p, 10000)) != PIPC_OK ||
      (rc = pipc_pipe_send(p, "hello", 5, 5000)) != PIPC_OK ||
      (rc = pipc_pipe_recv(p, buf, sizeof buf, &n, 10000)) != PIPC_OK) {
    fprintf(stderr, "share_use: pipe: %s\n", pipc_strerror(rc));
    return 15;
  }
  pipc_pipe_close(p);
  return n == 2 && memcmp(buf, "ok", 2) == 0 ? 0 : 16;
}

/* Plain creates, a NULL attr and a zeroed attr all make owner-only
   objects. */
void test_sharing_owner_only_is_the_default(void) {
  t_kinds k;
  pipc_attr a;
  t_kinds_names(&k, "dflt");
  t_kinds_make(&k, NULL, 1);
  expect_level(&k, PIPC_ACCESS_OWNER, NULL, NULL);
  t_kinds_drop(&k);
  memset(&a, 0, sizeof a);
  t_kinds_names(&k, "zero");
  t_kinds_make(&k, &a, 1);
  expect_level(&k, PIPC_ACCESS_OWNER, &a, NULL);
  t_kinds_drop(&k);
}

/* Each kind made at `access` reads back so, and another process uses it. */
static void level_case(pipc_access access, const char *tag, const char *how) {
  t_kinds k;
  pipc_attr a;
  memset(&a, 0, sizeof a);
  a.access = access;
  if (access == PIPC_ACCESS_GROUP) a.group = t_os_common_group();
  t_kinds_names(&k, tag);
  if (t_kinds_make(&k, &a, 1) != PIPC_OK) {
    t_kinds_drop(&k);
    return;
  }
  expect_level(&k, (int)access, &a, a.group);
  expect_used_elsewhere(&k, how, a.group);
  t_kinds_drop(&k);
}

void test_sharing_owner_level_reads_back_and_opens(void) {
  level_case(PIPC_ACCESS_OWNER, "own", "owner");
}

void test_sharing_group_level_reads_back_and_opens(void) {
  char gname[256], oname[80], why[600];
  const char *name;
  pipc_shm *s = NULL;
  pipc_attr a;
  int got;
  level_case(PIPC_ACCESS_GROUP, "grp", "group");
  /* the same group by its name: the same object security */
  if ((name = t_os_common_group_name(gname, sizeof gname)) == NULL)
    T_SKIP("this process's group has no name; by number it was checked above");
  memset(&a, 0, sizeof a);
  a.access = PIPC_ACCESS_GROUP;
  a.group = name;
  t_name(oname, sizeof oname, "grpname");
  T_RC(pipc_shm_create_attr(oname, 4096, &a, &s), PIPC_OK);
  got = t_os_object_access(oname, NULL, t_os_common_group(), why, sizeof why);
  if (got != PIPC_ACCESS_GROUP) fprintf(stderr, "\n  group %s: access %d (%s)", name, got, why);
  CU_ASSERT_EQUAL(got, PIPC_ACCESS_GROUP);
  pipc_shm_unlink(oname);
  if (s) pipc_shm_close(s);
}

void test_sharing_all_level_reads_back_and_opens(void) {
  level_case(PIPC_ACCESS_ALL, "all", "all");
}

/* Windows: an SDDL string is the object's security, exactly (generic
   rights as the object type maps them); a malformed one is PIPC_EINVAL.
   POSIX: an sddl is PIPC_ENOTSUP for every kind. */
void test_sharing_sddl_round_trips(void) {
  char sddl[512], how[600], why[1400];
  const char *objs[4];
  t_kinds k;
  pipc_attr a;
  pipc_pipe *c = NULL, *sv = NULL;
  int i, got;
  memset(&a, 0, sizeof a);
  a.sddl = t_os_sddl_sample(sddl, sizeof sddl);
  if (t_os_why_no_sddl() != NULL) {
    expect_refused("an sddl where there is none", &a, PIPC_ENOTSUP, 0);
    return; /* that is all there is to check here */
  }
  t_kinds_names(&k, "sddl");
  if (t_kinds_make(&k, &a, 1) != PIPC_OK) {
    t_kinds_drop(&k);
    return;
  }
  objs[0] = k.shm;
  objs[1] = k.queue;
  objs[2] = k.sem;
  objs[3] = k.lock;
  for (i = 0; i < 4; i++) {
    got = t_os_object_sddl_is(objs[i], NULL, sddl, why, sizeof why);
    if (got != 1) fprintf(stderr, "\n  %s: %s", objs[i], why);
    CU_ASSERT_EQUAL(got, 1);
  }
  T_RC(pipc_pipe_connect_ex(k.pipe, &a, &c, 10000), PIPC_OK);
  T_RC(pipc_listener_accept(k.li, &sv, 10000), PIPC_OK);
  if (c) {
    got = t_os_object_sddl_is(k.pipe, c, sddl, why, sizeof why);
    if (got != 1) fprintf(stderr, "\n  %s: %s", k.pipe, why);
    CU_ASSERT_EQUAL(got, 1);
    pipc_pipe_close(c);
  }
  if (sv) pipc_pipe_close(sv);
  snprintf(how, sizeof how, "sddl:%s", sddl);
  expect_used_elsewhere(&k, how, NULL);
  t_kinds_drop(&k);
  a.sddl = "D:P(A;;GA;;;XX)"; /* XX is no SID */
  expect_refused("a malformed sddl", &a, PIPC_EINVAL, 0);
  a.sddl = "not an sddl";
  expect_refused("a malformed sddl", &a, PIPC_EINVAL, 0);
}

/* pipc_list callback: count the entries named as arg's names with the
   kind beside them (arg: struct found). */
struct found {
  const char *name[2];
  pipc_kind kind[2];
  int seen[2];
};

static int on_entry(void *arg, const pipc_entry_t *e) {
  struct found *f = (struct found *)arg;
  int i;
  for (i = 0; i < 2; i++)
    if (strcmp(e->name, f->name[i]) == 0 && e->kind == f->kind[i]) f->seen[i]++;
  return 0;
}

/* PIPC_ATTR_GLOBAL: made in Global\ (Windows), found there by the plain
   opens of another process and by the kind lookup; one name is still one
   object (a plain create of it is PIPC_EEXIST); unlink removes it.  POSIX
   has one namespace: the same calls work. */
void test_sharing_global_create_and_open(void) {
  t_kinds k;
  struct found f;
  pipc_attr a;
  pipc_queue *q = NULL;
  pipc_kind kind;
  int rc, where;
  memset(&a, 0, sizeof a);
  a.flags = PIPC_ATTR_GLOBAL;
  t_kinds_names(&k, "glob");
  rc = t_kinds_make(&k, &a, 0);
  if (rc == PIPC_EACCES) {
    t_kinds_drop(&k);
    T_SKIP("this user may not create in Global\\ (no SeCreateGlobalPrivilege): "
           "global_refused_without_privilege covers it");
  }
  T_RC(rc, PIPC_OK);
  if (rc != PIPC_OK) {
    t_kinds_drop(&k);
    return;
  }
  where = t_os_object_is_global(k.queue);
  if (where != -2) { /* -2: no namespaces here */
    CU_ASSERT_EQUAL(where, 1);
    CU_ASSERT_EQUAL(t_os_object_is_global(k.lock), 1);
  }
  T_RC(pipc_kind_of(k.queue, &kind), PIPC_OK);
  CU_ASSERT_EQUAL(kind, PIPC_KIND_QUEUE);
  T_RC(pipc_kind_of(k.pipe, &kind), PIPC_OK);
  CU_ASSERT_EQUAL(kind, PIPC_KIND_LISTENER);
  memset(&f, 0, sizeof f); /* listed, once each */
  f.name[0] = k.queue;
  f.kind[0] = PIPC_KIND_QUEUE;
  f.name[1] = k.pipe;
  f.kind[1] = PIPC_KIND_LISTENER;
#if defined(__linux__) || defined(_WIN32)
  T_RC(pipc_list(on_entry, &f), PIPC_OK);
  CU_ASSERT(f.seen[0] == 1 && f.seen[1] == 1);
#else /* macOS, the BSDs: shared memory cannot be listed */
  T_RC(pipc_list(on_entry, &f), PIPC_ENOTSUP);
#endif
  T_RC(pipc_queue_create(k.queue, 4, 16, &q), PIPC_EEXIST); /* not a second one in Local\ */
  CU_ASSERT_PTR_NULL(q);
  if (q) pipc_queue_close(q);
  expect_level(&k, PIPC_ACCESS_OWNER, &a, NULL);
  expect_used_elsewhere(&k, "owner", NULL); /* plain opens, plain connect */
  T_RC(pipc_queue_unlink(k.queue), PIPC_OK);
  T_RC(pipc_queue_open(k.queue, &q), PIPC_ENOENT);
  if (q) pipc_queue_close(q);
  t_kinds_drop(&k);
}

/* argv: share_noglobal NAME - without SeCreateGlobalPrivilege, create a
   GLOBAL queue: exit 0 if refused with PIPC_EACCES, 3 if it was made, 2 if
   the privilege could not be dropped, 1 for any other result. */
int role_share_noglobal(int argc, char **argv) {
  pipc_attr a;
  pipc_queue *q = NULL;
  int rc;
  if (argc < 2) return 10;
  if (t_os_drop_global_privilege() != 0) return 2;
  memset(&a, 0, sizeof a);
  a.flags = PIPC_ATTR_GLOBAL;
  rc = pipc_queue_create_attr(argv[1], 4, 16, &a, &q);
  if (rc == PIPC_EACCES) return 0;
  if (rc == PIPC_OK) {
    pipc_queue_unlink(argv[1]);
    pipc_queue_close(q);
    return 3;
  }
  fprintf(stderr, "share_noglobal: %s\n", pipc_strerror(rc));
  return 1;
}

/* Creating in Global\ without SeCreateGlobalPrivilege is PIPC_EACCES. */
void test_sharing_global_refused_without_privilege(void) {
  char name[80];
  const char *why = t_os_why_no_global_refusal();
  int code;
  if (why) T_SKIP(why);
  t_name(name, sizeof name, "noglob");
  code = t_join(t_spawn("share_noglobal", name, NULL), 30000);
  if (code == 3 && (why = t_os_why_global_granted()) != NULL) T_SKIP(why);
  CU_ASSERT_EQUAL(code, 0);
}

/* 1 if peer p is what pipc_pipe_peer should report of process pid of
   this user (os.h); says what differs. */
static int peer_is(const pipc_peer *p, long pid, const char *who) {
  pipc_peer want;
  t_os_peer_expected(pid, &want);
  if (p->pid == want.pid && p->uid == want.uid && p->gid == want.gid &&
      strcmp(p->sid, want.sid) == 0)
    return 1;
  fprintf(stderr, "\n  %s: peer pid %ld uid %ld gid %ld sid \"%s\", wanted %ld %ld %ld \"%s\"",
          who, p->pid, p->uid, p->gid, p->sid, want.pid, want.uid, want.gid, want.sid);
  return 0;
}

/* argv: peer_client NAME PARENT_PID - connect, check the peer is the
   parent (this user), send "ok" or what differed, wait for "bye". */
int role_peer_client(int argc, char **argv) {
  pipc_pipe *p = NULL;
  pipc_peer me;
  char buf[8];
  size_t n;
  int rc, good;
  if (argc < 3) return 10;
  if ((rc = pipc_pipe_connect(argv[1], &p, 10000)) != PIPC_OK) return 11;
  memset(&me, 0, sizeof me);
  rc = pipc_pipe_peer(p, &me);
  good = rc == PIPC_OK && peer_is(&me, strtol(argv[2], NULL, 10), "child's view");
  if (pipc_pipe_send(p, good ? "ok" : "no", 2, 5000) != PIPC_OK) return 12;
  if (pipc_pipe_recv(p, buf, sizeof buf, &n, 10000) != PIPC_OK) return 13;
  pipc_pipe_close(p);
  return good ? 0 : 14;
}

/* A listener and a child client see each other's pid and user; the ends
   of a pair see this process. */
void test_sharing_peer_identity(void) {
  char name[80], pid[24], buf[8];
  pipc_listener *li = NULL;
  pipc_pipe *sv = NULL, *a = NULL, *b = NULL;
  pipc_process *c;
  pipc_peer info;
  long self = pipc_self_pid();
  size_t n = 0;
  t_name(name, sizeof name, "peer");
  snprintf(pid, sizeof pid, "%ld", self);
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  CU_ASSERT_FATAL(li != NULL);
  c = t_spawn("peer_client", name, pid, NULL);
  CU_ASSERT_FATAL(c != NULL);
  T_RC(pipc_listener_accept(li, &sv, 20000), PIPC_OK);
  if (sv) {
    /* before anything was received (Windows: from the client's process) */
    T_RC(pipc_pipe_peer(sv, &info), PIPC_OK);
    CU_ASSERT(peer_is(&info, pipc_process_pid(c), "accepted, before recv"));
    T_RC(pipc_pipe_recv(sv, buf, sizeof buf, &n, 20000), PIPC_OK);
    CU_ASSERT(n == 2 && memcmp(buf, "ok", 2) == 0); /* the child's view of us */
    /* after (Windows: from the connection's token) */
    T_RC(pipc_pipe_peer(sv, &info), PIPC_OK);
    CU_ASSERT(peer_is(&info, pipc_process_pid(c), "accepted, after recv"));
    T_RC(pipc_pipe_send(sv, "bye", 3, 5000), PIPC_OK);
  }
  CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  if (sv) pipc_pipe_close(sv);
  pipc_listener_close(li);

  T_RC(pipc_pipe_pair(&a, &b), PIPC_OK);
  if (a && b) {
    T_RC(pipc_pipe_peer(a, &info), PIPC_OK);
    CU_ASSERT(peer_is(&info, self, "pair end a"));
    T_RC(pipc_pipe_peer(b, &info), PIPC_OK);
    CU_ASSERT(peer_is(&info, self, "pair end b"));
  }
  T_RC(pipc_pipe_peer(NULL, &info), PIPC_EINVAL);
  CU_ASSERT_EQUAL(info.pid, -1); /* cleared even so */
  T_RC(pipc_pipe_peer(a, NULL), PIPC_EINVAL);
  if (a) pipc_pipe_close(a);
  if (b) pipc_pipe_close(b);
}
