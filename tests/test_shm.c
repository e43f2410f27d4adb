/* test_shm.c - named shared memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

void test_shm_create_zero_filled(void) {
  char name[80];
  pipc_shm *s = NULL;
  unsigned char *p;
  size_t i, nonzero = 0;
  t_name(name, sizeof name, "zero");
  T_RC(pipc_shm_create(name, 100000, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(pipc_shm_size(s), 100000);
  CU_ASSERT_STRING_EQUAL(pipc_shm_name(s), name);
  p = (unsigned char *)pipc_shm_addr(s);
  CU_ASSERT_FATAL(p != NULL);
  for (i = 0; i < 100000; i++) nonzero += p[i] != 0;
  CU_ASSERT_EQUAL(nonzero, 0);
  memset(p, 0xab, 100000); /* every byte is writable */
  T_RC(pipc_shm_unlink(name), PIPC_OK);
  T_RC(pipc_shm_close(s), PIPC_OK);
}

void test_shm_size_zero_is_einval(void) {
  char name[80];
  pipc_shm *s = (pipc_shm *)1;
  t_name(name, sizeof name, "size0");
  T_RC(pipc_shm_create(name, 0, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_shm_open(name, &s), PIPC_ENOENT); /* nothing left behind */
}

void test_shm_create_existing_is_eexist(void) {
  char name[80];
  pipc_shm *a = NULL, *b = (pipc_shm *)1;
  t_name(name, sizeof name, "exist");
  T_RC(pipc_shm_create(name, 64, &a), PIPC_OK);
  T_RC(pipc_shm_create(name, 64, &b), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(b);
  T_RC(pipc_shm_unlink(name), PIPC_OK);
  pipc_shm_close(a);
}

void test_shm_open_missing_is_enoent(void) {
  char name[80];
  pipc_shm *s = (pipc_shm *)1;
  t_name(name, sizeof name, "missing");
  T_RC(pipc_shm_open(name, &s), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_shm_unlink(name), PIPC_ENOENT);
}

void test_shm_open_learns_size(void) {
  char name[80];
  pipc_shm *a = NULL, *b = NULL;
  t_name(name, sizeof name, "learn");
  T_RC(pipc_shm_create(name, 12345, &a), PIPC_OK);
  T_RC(pipc_shm_open(name, &b), PIPC_OK);
  CU_ASSERT_FATAL(a && b);
  CU_ASSERT_EQUAL(pipc_shm_size(b), 12345);
  memcpy(pipc_shm_addr(a), "hello", 6);
  CU_ASSERT_STRING_EQUAL((char *)pipc_shm_addr(b), "hello");
  T_RC(pipc_shm_unlink(name), PIPC_OK);
  pipc_shm_close(a);
  pipc_shm_close(b);
}

int role_shm_write(int argc, char **argv) {
  pipc_shm *s = NULL;
  unsigned char *p;
  size_t i;
  if (argc < 2 || pipc_shm_open(argv[1], &s) != PIPC_OK) return 10;
  p = (unsigned char *)pipc_shm_addr(s);
  for (i = 0; i < pipc_shm_size(s); i++) p[i] = (unsigned char)(i * 7 + 1);
  pipc_shm_close(s);
  return 0;
}

void test_shm_child_writes_parent_reads(void) {
  char name[80];
  pipc_shm *s = NULL;
  unsigned char *p;
  size_t i, bad = 0;
  t_name(name, sizeof name, "child");
  T_RC(pipc_shm_create(name, 65536, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(t_join(t_spawn("shm_write", name, NULL), 20000), 0);
  p = (unsigned char *)pipc_shm_addr(s);
  for (i = 0; i < 65536; i++) bad += p[i] != (unsigned char)(i * 7 + 1);
  CU_ASSERT_EQUAL(bad, 0);
  T_RC(pipc_shm_unlink(name), PIPC_OK);
  pipc_shm_close(s);
}

void test_shm_unlink_then_open_is_enoent(void) {
  char name[80];
  pipc_shm *s = NULL, *o = (pipc_shm *)1;
  t_name(name, sizeof name, "unlink");
  T_RC(pipc_shm_create(name, 4096, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  T_RC(pipc_shm_unlink(name), PIPC_OK);
  T_RC(pipc_shm_open(name, &o), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(o);
  T_RC(pipc_shm_unlink(name), PIPC_ENOENT);
  /* The open handle keeps working. */
  memset(pipc_shm_addr(s), 1, 4096);
  CU_ASSERT_EQUAL(((char *)pipc_shm_addr(s))[4095], 1);
  T_RC(pipc_shm_close(s), PIPC_OK);
}

void test_shm_huge_size_created_or_enomem(void) {
  char name[80];
  pipc_shm *s = NULL;
  size_t huge;
  int rc;
  if (sizeof(size_t) < 8) return; /* a 32-bit build cannot ask */
  huge = ((size_t)4 << 30) + 4096; /* over 4 GiB: both DWORDs on Windows */
  t_name(name, sizeof name, "huge");
  rc = pipc_shm_create(name, huge, &s);
  if (rc == PIPC_OK) {
    unsigned char *p = (unsigned char *)pipc_shm_addr(s);
    CU_ASSERT_EQUAL(pipc_shm_size(s), huge);
    p[0] = 1;
    p[huge - 1] = 2; /* the last byte is mapped and zero-filled before */
    CU_ASSERT_EQUAL(p[huge - 1], 2);
    T_RC(pipc_shm_unlink(name), PIPC_OK);
    pipc_shm_close(s);
  } else {
    T_RC(rc, PIPC_ENOMEM);
    CU_ASSERT_PTR_NULL(s);
    T_RC(pipc_shm_open(name, &s), PIPC_ENOENT); /* nothing half-made */
  }
}

void test_shm_typed_segment_refused_as_sem(void) {
  char name[80];
  pipc_shm *s = NULL;
  pipc_sem *sem = (pipc_sem *)1;
  t_name(name, sizeof name, "nosem");
  /* A plain segment full of garbage is not a semaphore. */
  T_RC(pipc_shm_create(name, 4096, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  memset(pipc_shm_addr(s), 0x5a, 4096);
  T_RC(pipc_sem_open(name, &sem), PIPC_ECORRUPT);
  CU_ASSERT_PTR_NULL(sem);
  T_RC(pipc_shm_unlink(name), PIPC_OK);
  pipc_shm_close(s);
}
