/* test_shm.c - named shared memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"

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
  CU_ASSERT_EQUAL(pipc_shm_size(b), t_os_shm_size_learnt(12345)); /* macOS: a page's worth */
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

/* A size no memory can hold (2^63 bytes): PIPC_ENOMEM on every OS, as the
   docs say, and no name left behind. */
void test_shm_size_2_63_is_enomem(void) {
  char name[80];
  pipc_shm *s = (pipc_shm *)1;
  if (sizeof(size_t) < 8) T_SKIP("a 32-bit size_t cannot say 2^63");
  t_name(name, sizeof name, "s263");
  T_RC(pipc_shm_create(name, (size_t)1 << (sizeof(size_t) * 8 - 1), &s), PIPC_ENOMEM);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_shm_open(name, &s), PIPC_ENOENT);
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

/* ---- mapped files (pipc_shm_map_file) ----
   Files are made in the current directory (ctest's: the build tree) under
   a unique t_name(), through stdio only, and removed with remove(). */

static void file_name(char *buf, size_t cap, const char *tag) {
  size_t n;
  t_name(buf, cap, tag);
  n = strlen(buf);
  snprintf(buf + n, cap - n, ".dat");
}

/* Write n bytes to a new file at path (replacing it); 0 on success. */
static int file_put(const char *path, const void *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  int ok;
  if (f == NULL) return -1;
  ok = fwrite(bytes, 1, n, f) == n;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* The file's length (as stdio reads it), or -1 if it cannot be opened. */
static long file_len(const char *path) {
  FILE *f = fopen(path, "rb");
  long n;
  if (f == NULL) return -1;
  n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  fclose(f);
  return n;
}

/* Map the file argv[1] (its whole size), check the parent's greeting at its
   start, then write the pattern after it. */
int role_shm_file_write(int argc, char **argv) {
  pipc_shm *s = NULL;
  unsigned char *p;
  size_t i;
  if (argc < 2 || pipc_shm_map_file(argv[1], 0, 0, &s) != PIPC_OK) return 10;
  p = (unsigned char *)pipc_shm_addr(s);
  if (pipc_shm_size(s) != 65536) return 11;
  if (memcmp(p, "from parent", 12) != 0) return 12;
  for (i = 16; i < pipc_shm_size(s); i++) p[i] = (unsigned char)(i * 13 + 5);
  pipc_shm_close(s);
  return 0;
}

void test_shm_map_file_child_writes_parent_reads(void) {
  char path[96];
  pipc_shm *s = NULL;
  unsigned char *p;
  size_t i, bad = 0;
  file_name(path, sizeof path, "mfchild");
  T_RC(pipc_shm_map_file(path, 65536, PIPC_MAP_CREATE | PIPC_MAP_EXCL, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(pipc_shm_size(s), 65536);
  p = (unsigned char *)pipc_shm_addr(s);
  for (i = 0; i < 65536; i++) bad += p[i] != 0; /* a new file is zero-filled */
  CU_ASSERT_EQUAL(bad, 0);
  memcpy(p, "from parent", 12);
  /* another process maps the same file: it sees our bytes, we see its */
  CU_ASSERT_EQUAL(t_join(t_spawn("shm_file_write", path, NULL), 20000), 0);
  for (i = 16, bad = 0; i < 65536; i++) bad += p[i] != (unsigned char)(i * 13 + 5);
  CU_ASSERT_EQUAL(bad, 0);
  T_RC(pipc_shm_close(s), PIPC_OK);
  CU_ASSERT_EQUAL(file_len(path), 65536);
  CU_ASSERT_EQUAL(remove(path), 0);
}

void test_shm_map_file_created_owner_only(void) {
  char path[96];
  pipc_shm *s = NULL;
  unsigned saved = t_os_loosen_defaults(); /* umask 0: pipc still makes it 0600 */
  file_name(path, sizeof path, "mfmode");
  T_RC(pipc_shm_map_file(path, 100, PIPC_MAP_CREATE, &s), PIPC_OK);
  t_os_restore_defaults(saved);
  CU_ASSERT_FATAL(s != NULL);
  pipc_shm_close(s);
  if (t_os_why_no_file_dacl() == NULL) CU_ASSERT_EQUAL(t_os_file_owner_only(path), 1);
  CU_ASSERT_EQUAL(remove(path), 0);
  if (t_os_why_no_file_dacl()) T_SKIP(t_os_why_no_file_dacl());
}

void test_shm_map_file_bad_arguments(void) {
  char path[96], sub[128];
  pipc_shm *s = (pipc_shm *)1;
  file_name(path, sizeof path, "mfbad");
  T_RC(pipc_shm_map_file(NULL, 64, PIPC_MAP_CREATE, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_shm_map_file("", 64, PIPC_MAP_CREATE, &s), PIPC_EINVAL);
  T_RC(pipc_shm_map_file(path, 64, PIPC_MAP_CREATE, NULL), PIPC_EINVAL);
  T_RC(pipc_shm_map_file(".", 64, 0, &s), PIPC_EINVAL); /* a directory */
  T_RC(pipc_shm_map_file(".", 64, PIPC_MAP_CREATE, &s), PIPC_EINVAL);
  T_RC(pipc_shm_map_file(".", 0, PIPC_MAP_READONLY, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_shm_map_file(path, 64, 0, &s), PIPC_ENOENT); /* missing, no CREATE */
  T_RC(pipc_shm_map_file(path, 0, PIPC_MAP_READONLY, &s), PIPC_ENOENT);
  snprintf(sub, sizeof sub, "%s/x.dat", path);            /* a missing directory */
  T_RC(pipc_shm_map_file(sub, 64, PIPC_MAP_CREATE, &s), PIPC_ENOENT);
  /* flags that make no sense, refused before any file is made */
  T_RC(pipc_shm_map_file(path, 64, PIPC_MAP_EXCL, &s), PIPC_EINVAL);
  T_RC(pipc_shm_map_file(path, 64, 0x100, &s), PIPC_EINVAL);
  T_RC(pipc_shm_map_file(path, 64, PIPC_MAP_CREATE | PIPC_MAP_READONLY, &s), PIPC_EINVAL);
  T_RC(pipc_shm_map_file(path, 0, PIPC_MAP_CREATE, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_EQUAL(file_len(path), -1); /* nothing left behind */
}

void test_shm_map_file_size_zero(void) {
  char path[96];
  pipc_shm *s = (pipc_shm *)1;
  file_name(path, sizeof path, "mfzero");
  CU_ASSERT_FATAL(file_put(path, "", 0) == 0);
  /* size 0 maps the file's size: an empty file has none */
  T_RC(pipc_shm_map_file(path, 0, 0, &s), PIPC_EINVAL);
  T_RC(pipc_shm_map_file(path, 0, PIPC_MAP_READONLY, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_EQUAL(file_len(path), 0); /* an existing file is left as it was */
  CU_ASSERT_FATAL(file_put(path, "seed 000", 8) == 0);
  T_RC(pipc_shm_map_file(path, 0, 0, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(pipc_shm_size(s), 8);
  CU_ASSERT_EQUAL(memcmp(pipc_shm_addr(s), "seed 000", 8), 0);
  pipc_shm_close(s);
  CU_ASSERT_EQUAL(remove(path), 0);
}

void test_shm_map_file_shorter_is_grown(void) {
  char path[96];
  pipc_shm *s = NULL;
  unsigned char *p;
  size_t i, nonzero = 0;
  file_name(path, sizeof path, "mfgrow");
  CU_ASSERT_FATAL(file_put(path, "abc", 3) == 0);
  T_RC(pipc_shm_map_file(path, 10000, 0, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(pipc_shm_size(s), 10000);
  p = (unsigned char *)pipc_shm_addr(s);
  CU_ASSERT_EQUAL(memcmp(p, "abc", 3), 0); /* old bytes kept */
  for (i = 3; i < 10000; i++) nonzero += p[i] != 0;
  CU_ASSERT_EQUAL(nonzero, 0);             /* the rest zero-filled */
  p[9999] = 'z';
  pipc_shm_close(s);
  CU_ASSERT_EQUAL(file_len(path), 10000);
  /* a longer file is mapped in part and never shrunk */
  T_RC(pipc_shm_map_file(path, 10, PIPC_MAP_CREATE, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(pipc_shm_size(s), 10);
  pipc_shm_close(s);
  CU_ASSERT_EQUAL(file_len(path), 10000);
  /* read-only cannot grow it */
  s = (pipc_shm *)1;
  T_RC(pipc_shm_map_file(path, 10001, PIPC_MAP_READONLY, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_shm_map_file(path, 0, PIPC_MAP_READONLY, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(pipc_shm_size(s), 10000);
  CU_ASSERT_EQUAL(((char *)pipc_shm_addr(s))[9999], 'z');
  pipc_shm_close(s);
  CU_ASSERT_EQUAL(remove(path), 0);
}

/* Growing a file that another handle has mapped keeps both coherent. */
void test_shm_map_file_grown_while_mapped(void) {
  char path[96];
  pipc_shm *a = NULL, *b = NULL;
  file_name(path, sizeof path, "mfgrow2");
  T_RC(pipc_shm_map_file(path, 4096, PIPC_MAP_CREATE, &a), PIPC_OK);
  T_RC(pipc_shm_map_file(path, 3 * 4096 + 1, PIPC_MAP_CREATE, &b), PIPC_OK);
  CU_ASSERT_FATAL(a && b);
  memcpy(pipc_shm_addr(b), "through b", 10);
  CU_ASSERT_STRING_EQUAL((char *)pipc_shm_addr(a), "through b");
  ((char *)pipc_shm_addr(b))[3 * 4096] = 1;
  pipc_shm_close(a);
  pipc_shm_close(b);
  CU_ASSERT_EQUAL(file_len(path), 3 * 4096 + 1);
  CU_ASSERT_EQUAL(remove(path), 0);
}

void test_shm_map_file_excl_existing_is_eexist(void) {
  char path[96];
  pipc_shm *s = (pipc_shm *)1;
  file_name(path, sizeof path, "mfexcl");
  CU_ASSERT_FATAL(file_put(path, "keep", 4) == 0);
  T_RC(pipc_shm_map_file(path, 64, PIPC_MAP_CREATE | PIPC_MAP_EXCL, &s), PIPC_EEXIST);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_EQUAL(file_len(path), 4); /* untouched */
  T_RC(pipc_shm_map_file(".", 64, PIPC_MAP_CREATE | PIPC_MAP_EXCL, &s), PIPC_EEXIST);
  CU_ASSERT_EQUAL(remove(path), 0);
}

void test_shm_map_file_close_then_reopen(void) {
  char path[96], got[16] = "";
  pipc_shm *s = NULL;
  FILE *f;
  file_name(path, sizeof path, "mfreopen");
  T_RC(pipc_shm_map_file(path, 4096, PIPC_MAP_CREATE, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  memcpy(pipc_shm_addr(s), "kept on close", 14);
  T_RC(pipc_shm_close(s), PIPC_OK);
  s = NULL;
  T_RC(pipc_shm_map_file(path, 0, 0, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(pipc_shm_size(s), 4096);
  CU_ASSERT_STRING_EQUAL((char *)pipc_shm_addr(s), "kept on close");
  pipc_shm_close(s);
  /* they are the file's bytes: stdio reads them too */
  f = fopen(path, "rb");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT_EQUAL(fread(got, 1, 14, f), 14);
  fclose(f);
  CU_ASSERT_STRING_EQUAL(got, "kept on close");
  CU_ASSERT_EQUAL(remove(path), 0);
}

/* A file mapping has no pipc name: pipc_shm_name is NULL, so the path is
   never handed to pipc_shm_unlink (which would take it for a segment's name). */
void test_shm_map_file_has_no_name(void) {
  char path[96];
  pipc_shm *s = NULL;
  file_name(path, sizeof path, "mfname");
  T_RC(pipc_shm_map_file(path, 64, PIPC_MAP_CREATE, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_PTR_NULL(pipc_shm_name(s));
  T_RC(pipc_shm_unlink(path), PIPC_ENOENT); /* a valid name, no segment */
  T_RC(pipc_shm_close(s), PIPC_OK);
  CU_ASSERT_EQUAL(file_len(path), 64);
  CU_ASSERT_EQUAL(remove(path), 0);
}

void test_shm_map_file_too_big_is_enomem(void) {
  char path[96];
  pipc_shm *s = (pipc_shm *)1;
  file_name(path, sizeof path, "mfbig");
  T_RC(pipc_shm_map_file(path, (size_t)-1, PIPC_MAP_CREATE, &s), PIPC_ENOMEM);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_EQUAL(file_len(path), -1);
  if (sizeof(size_t) < 8) return; /* a 32-bit build cannot ask for more */
  /* 4 EiB: beyond the file system or the address space, after the file is
     made - which must not be left behind; an existing one keeps its size */
  T_RC(pipc_shm_map_file(path, (size_t)1 << 62, PIPC_MAP_CREATE, &s), PIPC_ENOMEM);
  CU_ASSERT_EQUAL(file_len(path), -1);
  CU_ASSERT_FATAL(file_put(path, "abc", 3) == 0);
  T_RC(pipc_shm_map_file(path, (size_t)1 << 62, 0, &s), PIPC_ENOMEM);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_EQUAL(file_len(path), 3);
  CU_ASSERT_EQUAL(remove(path), 0);
}
