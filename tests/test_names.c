/* test_names.c - which names are valid, the longest, unique names made
   for NULL, and one name for one object whatever its kind. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* Every entry point that takes a name. */
static void expect_name_rejected(const char *bad) {
  pipc_shm *shm = (pipc_shm *)1;
  pipc_sem *sem = (pipc_sem *)1;
  pipc_lock *lock = (pipc_lock *)1;
  T_RC(pipc_name_check(bad), PIPC_EINVAL);
  T_RC(pipc_shm_create(bad, 16, &shm), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(shm);
  T_RC(pipc_shm_open(bad, &shm), PIPC_EINVAL);
  T_RC(pipc_shm_unlink(bad), PIPC_EINVAL);
  T_RC(pipc_sem_create(bad, 0, 0, &sem), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(sem);
  T_RC(pipc_sem_open(bad, &sem), PIPC_EINVAL);
  T_RC(pipc_sem_unlink(bad), PIPC_EINVAL);
  T_RC(pipc_lock_create(bad, &lock), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(lock);
  T_RC(pipc_lock_open(bad, &lock), PIPC_EINVAL);
  T_RC(pipc_lock_unlink(bad), PIPC_EINVAL);
}

void test_names_invalid_names_rejected(void) {
  char long65[66];
  memset(long65, 'a', 65);
  long65[65] = '\0';
  expect_name_rejected("");
  expect_name_rejected(long65);
  expect_name_rejected("a/b");
  expect_name_rejected("/abc");
  expect_name_rejected("a\\b");
  expect_name_rejected(".hidden");
  expect_name_rejected("a b");
  expect_name_rejected("a\nb");
  expect_name_rejected("a:b");
  expect_name_rejected("caf\xc3\xa9");
  T_RC(pipc_shm_open(NULL, &(pipc_shm *){0}), PIPC_EINVAL);
  T_RC(pipc_shm_unlink(NULL), PIPC_EINVAL);
}

void test_names_longest_name_works(void) {
  char name[PIPC_NAME_MAX + 1], tag[8];
  pipc_shm *s = NULL, *o = NULL;
  t_name(tag, sizeof tag, "");
  memset(name, 'x', PIPC_NAME_MAX);
  name[PIPC_NAME_MAX] = '\0';
  memcpy(name, tag, strlen(tag)); /* unique prefix, 64 characters in all */
  T_RC(pipc_name_check(name), PIPC_OK);
  T_RC(pipc_shm_create(name, 100, &s), PIPC_OK);
  T_RC(pipc_shm_open(name, &o), PIPC_OK);
  if (o) CU_ASSERT_STRING_EQUAL(pipc_shm_name(o), name);
  T_RC(pipc_shm_unlink(name), PIPC_OK); /* while open: portable */
  pipc_shm_close(o);
  pipc_shm_close(s);
}

/* Two longest names one character apart are two objects, of any kind -
   also where the OS's names are shorter and pipc's OS name is a digest
   (macOS: shm names of 31 bytes at most). */
void test_names_long_names_stay_apart(void) {
  char a[PIPC_NAME_MAX + 1], b[PIPC_NAME_MAX + 1], tag[8];
  char pa[PIPC_PATH_MAX], pb[PIPC_PATH_MAX];
  pipc_queue *q = NULL;
  pipc_sem *m = NULL, *m2 = NULL;
  pipc_lock *l = NULL;
  t_name(tag, sizeof tag, "");
  memset(a, 'y', PIPC_NAME_MAX);
  a[PIPC_NAME_MAX] = '\0';
  memcpy(a, tag, strlen(tag));
  memcpy(b, a, sizeof b);
  b[PIPC_NAME_MAX - 1] = 'z';
  T_RC(pipc_path(a, PIPC_PATH_SHM, pa, sizeof pa), PIPC_OK);
  T_RC(pipc_path(b, PIPC_PATH_SHM, pb, sizeof pb), PIPC_OK);
  CU_ASSERT(strcmp(pa, pb) != 0);
#ifdef __APPLE__
  CU_ASSERT(strlen(pa) <= 31 && strlen(pb) <= 31); /* PSHMNAMLEN */
#endif
  T_RC(pipc_queue_create(a, 2, 8, &q), PIPC_OK);
  T_RC(pipc_sem_create(b, 3, 0, &m), PIPC_OK);
  T_RC(pipc_lock_create(b, &l), PIPC_EEXIST); /* b is taken, by the semaphore */
  T_RC(pipc_sem_open(a, &m2), PIPC_EINVAL);  /* a is the queue's */
  CU_ASSERT_PTR_NULL(m2);
  T_RC(pipc_sem_open(b, &m2), PIPC_OK);
  if (m2) {
    unsigned v = 0;
    T_RC(pipc_sem_value(m2, &v), PIPC_OK);
    CU_ASSERT_EQUAL(v, 3);
    pipc_sem_close(m2);
  }
  T_RC(pipc_queue_unlink(a), PIPC_OK);
  T_RC(pipc_sem_open(b, &m2), PIPC_OK); /* untouched by a's unlink */
  if (m2) pipc_sem_close(m2);
  T_RC(pipc_sem_unlink(b), PIPC_OK);
  T_RC(pipc_sem_open(b, &m2), PIPC_ENOENT);
  if (q) pipc_queue_close(q);
  if (m) pipc_sem_close(m);
  if (l) pipc_lock_close(l);
}

void test_names_null_name_makes_unique_names(void) {
  pipc_shm *a = NULL, *b = NULL, *o = NULL;
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  T_RC(pipc_shm_create(NULL, 64, &a), PIPC_OK);
  T_RC(pipc_shm_create(NULL, 64, &b), PIPC_OK);
  CU_ASSERT_FATAL(a != NULL && b != NULL);
  CU_ASSERT_STRING_NOT_EQUAL(pipc_shm_name(a), pipc_shm_name(b));
  T_RC(pipc_name_check(pipc_shm_name(a)), PIPC_OK);
  /* The name is real: another handle opened by it sees the same bytes. */
  T_RC(pipc_shm_open(pipc_shm_name(a), &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  ((char *)pipc_shm_addr(a))[7] = 42;
  CU_ASSERT_EQUAL(((char *)pipc_shm_addr(o))[7], 42);
  T_RC(pipc_shm_unlink(pipc_shm_name(a)), PIPC_OK);
  T_RC(pipc_shm_unlink(pipc_shm_name(b)), PIPC_OK);
  pipc_shm_close(o);
  pipc_shm_close(a);
  pipc_shm_close(b);

  T_RC(pipc_sem_create(NULL, 1, 1, &sem), PIPC_OK);
  CU_ASSERT_FATAL(sem != NULL);
  T_RC(pipc_name_check(pipc_sem_name(sem)), PIPC_OK);
  T_RC(pipc_sem_unlink(pipc_sem_name(sem)), PIPC_OK);
  pipc_sem_close(sem);
  T_RC(pipc_lock_create(NULL, &lock), PIPC_OK);
  CU_ASSERT_FATAL(lock != NULL);
  T_RC(pipc_name_check(pipc_lock_name(lock)), PIPC_OK);
  T_RC(pipc_lock_unlink(pipc_lock_name(lock)), PIPC_OK);
  pipc_lock_close(lock);
}

void test_names_one_name_one_object(void) {
  char name[80];
  pipc_shm *s = NULL;
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  t_name(name, sizeof name, "kinds");
  T_RC(pipc_sem_create(name, 0, 0, &sem), PIPC_OK);
  T_RC(pipc_shm_create(name, 64, &s), PIPC_EEXIST);
  T_RC(pipc_lock_create(name, &lock), PIPC_EEXIST);
  /* A semaphore is not a lock: open by the wrong kind is refused. */
  T_RC(pipc_lock_open(name, &lock), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(lock);
  T_RC(pipc_sem_unlink(name), PIPC_OK);
  pipc_sem_close(sem);
}

/* A listener and a segment of any kind cannot share a name either way. */
void test_names_listener_and_segment_share_no_name(void) {
  char name[80], lname[80];
  pipc_queue *q = NULL, *q2 = NULL;
  pipc_listener *l = NULL, *l2 = NULL;
  pipc_shm *s = NULL;
  pipc_sem *sem = NULL;
  t_name(name, sizeof name, "qlis");
  T_RC(pipc_queue_create(name, 4, 8, &q), PIPC_OK);
  T_RC(pipc_listener_create(name, &l2), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(l2);
  T_RC(pipc_queue_unlink(name), PIPC_OK);
  pipc_queue_close(q);
  T_RC(pipc_listener_create(name, &l2), PIPC_OK); /* free again */
  pipc_listener_close(l2);
  t_name(lname, sizeof lname, "lisq");
  T_RC(pipc_listener_create(lname, &l), PIPC_OK);
  T_RC(pipc_queue_create(lname, 4, 8, &q2), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(q2);
  T_RC(pipc_shm_create(lname, 64, &s), PIPC_EEXIST);
  T_RC(pipc_sem_create(lname, 0, 0, &sem), PIPC_EEXIST);
  T_RC(pipc_listener_close(l), PIPC_OK);
  T_RC(pipc_queue_create(lname, 4, 8, &q2), PIPC_OK); /* the listener is gone */
  T_RC(pipc_queue_unlink(lname), PIPC_OK);
  pipc_queue_close(q2);
}

/* *_unlink of another kind's name is refused as *_open refuses it, and
   leaves the object alone; pipc_shm_unlink, the raw layer, takes any. */
void test_names_unlink_checks_the_kind(void) {
  char name[80];
  pipc_queue *q = NULL, *o = NULL;
  pipc_lock *l = NULL;
  t_name(name, sizeof name, "unkind");
  T_RC(pipc_queue_create(name, 4, 8, &q), PIPC_OK);
  T_RC(pipc_lock_unlink(name), PIPC_EINVAL);
  T_RC(pipc_sem_unlink(name), PIPC_EINVAL);
  T_RC(pipc_lock_open(name, &l), PIPC_EINVAL); /* the same answer */
  T_RC(pipc_queue_open(name, &o), PIPC_OK);     /* still there */
  pipc_queue_close(o);
  T_RC(pipc_queue_unlink(name), PIPC_OK);
  T_RC(pipc_queue_unlink(name), PIPC_ENOENT);
  pipc_queue_close(q);
  T_RC(pipc_lock_create(name, &l), PIPC_OK);
  T_RC(pipc_queue_unlink(name), PIPC_EINVAL);
  T_RC(pipc_shm_unlink(name), PIPC_OK); /* raw shared memory: any segment */
  T_RC(pipc_lock_unlink(name), PIPC_ENOENT);
  pipc_lock_close(l);
  { /* a plain shm segment is nobody else's to remove */
    pipc_shm *s = NULL, *o = NULL;
    T_RC(pipc_shm_create(name, 4096, &s), PIPC_OK);
    T_RC(pipc_lock_unlink(name), PIPC_ECORRUPT);
    T_RC(pipc_queue_unlink(name), PIPC_ECORRUPT);
    T_RC(pipc_sem_unlink(name), PIPC_ECORRUPT);
    T_RC(pipc_shm_open(name, &o), PIPC_OK); /* still there */
    pipc_shm_close(o);
    T_RC(pipc_shm_unlink(name), PIPC_OK);
    pipc_shm_close(s);
  }
}

/* Names are case-sensitive on every OS: Jobs and jobs are two objects -
   also on Windows, whose object and pipe names are case-blind (pipc
   writes upper-case letters there as '^' and the lower-case letter). */
void test_names_case_matters_everywhere(void) {
  char lower[80], upper[80];
  pipc_sem *a = NULL, *b = NULL, *o = NULL;
  pipc_listener *la = NULL, *lb = NULL;
  pipc_pipe *c = NULL, *s = NULL, *none = NULL;
  pipc_kind kind = PIPC_KIND_NONE;
  unsigned v = 0;
  size_t i;
  t_name(lower, sizeof lower, "casejobs");
  strcpy(upper, lower);
  for (i = 0; upper[i]; i++)
    if (upper[i] >= 'a' && upper[i] <= 'z') upper[i] = (char)(upper[i] - 'a' + 'A');
  T_RC(pipc_sem_create(lower, 1, 0, &a), PIPC_OK);
  T_RC(pipc_sem_create(upper, 5, 0, &b), PIPC_OK); /* another object */
  T_RC(pipc_sem_open(upper, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  T_RC(pipc_sem_value(o, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 5); /* the upper-case one */
  pipc_sem_close(o);
  T_RC(pipc_kind_of(upper, &kind), PIPC_OK);
  CU_ASSERT_EQUAL(kind, PIPC_KIND_SEMAPHORE);
  T_RC(pipc_sem_unlink(upper), PIPC_OK);
  T_RC(pipc_sem_open(lower, &o), PIPC_OK); /* the lower-case one is still there */
  pipc_sem_close(o);
  T_RC(pipc_sem_unlink(lower), PIPC_OK);
  pipc_sem_close(a);
  pipc_sem_close(b);
  /* listeners (pipes) too */
  T_RC(pipc_listener_create(lower, &la), PIPC_OK);
  T_RC(pipc_listener_create(upper, &lb), PIPC_OK);
  T_RC(pipc_pipe_connect(upper, &c, 5000), PIPC_OK);
  T_RC(pipc_listener_accept(lb, &s, 5000), PIPC_OK);
  T_RC(pipc_listener_accept(la, &none, 0), PIPC_EAGAIN); /* nobody came to lower */
  pipc_pipe_close(c);
  pipc_pipe_close(s);
  pipc_listener_close(la);
  pipc_listener_close(lb);
}
