/* test_process.c - spawning, waiting, killing; and what a child inherits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"

int role_exit(int argc, char **argv) { return argc > 1 ? atoi(argv[1]) : 0; }

/* argv: exit_later MS CODE -> sleeps MS, exits CODE */
int role_exit_later(int argc, char **argv) {
  if (argc < 3) return 10;
  pipc_sleep_ms(atoi(argv[1]));
  return atoi(argv[2]);
}

int role_sleep(int argc, char **argv) {
  pipc_sleep_ms(argc > 1 ? atoi(argv[1]) : 60000);
  return 0;
}

/* Arguments the Windows command-line rules make hard: spaces, quotes,
   backslashes before a quote and at the end, empty ones, UTF-8 (also used
   by spawn/arguments_exact). */
const char *const t_tricky_args[] = {
    "plain", "with space", "", "quote\"inside", "back\\slash", "trail\\", "trail\\\\",
    "\\\\\"both", "a\\\\\"b c", "both \\\" mixed", " lead", "tab\there", "\"", "\\",
    "utf8-\xc3\xa9\xe2\x82\xac-\xf0\x9f\x98\x80", NULL};

/* exit 0 if argv[1..] are exactly t_tricky_args */
int role_args(int argc, char **argv) {
  int i;
  for (i = 0; t_tricky_args[i]; i++)
    if (i + 1 >= argc || strcmp(argv[i + 1], t_tricky_args[i]) != 0) return 10 + i;
  return argc == i + 1 ? 0 : 9;
}

void test_process_exit_codes(void) {
  CU_ASSERT_EQUAL(t_join(t_spawn("exit", "0", NULL), 30000), 0);
  CU_ASSERT_EQUAL(t_join(t_spawn("exit", "3", NULL), 30000), 3);
  CU_ASSERT_EQUAL(t_join(t_spawn("exit", "42", NULL), 30000), 42);
}

void test_process_arguments_arrive_intact(void) {
  const char *argv[32];
  pipc_process *p = NULL;
  char exe[4096];
  int i, n = 0, code = -1;
  T_RC(pipc_self_exe(exe, sizeof exe), PIPC_OK);
  argv[n++] = exe;
  argv[n++] = "--child";
  argv[n++] = "args";
  for (i = 0; t_tricky_args[i]; i++) argv[n++] = t_tricky_args[i];
  argv[n] = NULL;
  T_RC(pipc_process_spawn(argv, &p), PIPC_OK);
  T_RC(pipc_process_wait(p, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, 0);
  pipc_process_free(p);
}

/* A program that ignores SIGCHLD (the kernel reaps its children) or reaps
   them in its own SIGCHLD handler: pipc_process_wait still gives the
   exit code where the OS keeps it for an exit descriptor (Linux 6.15+:
   PIDFD_INFO_EXIT); elsewhere (posix-generic, macOS, the BSDs, older
   Linux) it is PIPC_ESYS with ECHILD - never a wrong code, never a hang. */
void test_process_exit_code_when_reaped_elsewhere(void) {
  const char *why = t_os_set_sigchld(0);
  int how, kept = 0, code;
  if (why) T_SKIP(why);
  for (how = 1; how <= 2; how++) {
    pipc_process *p = NULL;
    intptr_t h = -1;
    int rc;
    CU_ASSERT_PTR_NULL(t_os_set_sigchld(how));
    /* it ends after pipc took its pidfd (pipc_process_spawn's return) */
    p = t_spawn("exit_later", "300", how == 1 ? "7" : "9", NULL);
    CU_ASSERT(p != NULL);
    if (p == NULL) break;
#if defined(__linux__) && defined(T_FAST_LINUX) /* a pidfd (not under valgrind) */
    kept = t_os_linux_at_least(6, 15) && pipc_process_handle(p, &h) == PIPC_OK && t_os_is_pidfd(h);
#endif
    (void)h;
    code = -1234;
    rc = pipc_process_wait(p, 30000, &code);
    if (kept) {
      T_RC(rc, PIPC_OK);
      CU_ASSERT_EQUAL(code, how == 1 ? 7 : 9);
    } else if (rc == PIPC_OK) { /* pipc's own wait came first: the code */
      CU_ASSERT_EQUAL(code, how == 1 ? 7 : 9);
    } else {
      T_RC(rc, PIPC_ESYS);
#ifndef _WIN32
      CU_ASSERT_EQUAL(pipc_last_os_error(), ECHILD); /* as pipc.h says */
#endif
      CU_ASSERT_EQUAL(code, -1234);
    }
    pipc_process_free(p);
  }
  t_os_set_sigchld(0);
  if (!kept)
    T_SKIP("no exit descriptor keeps a child's status once reaped elsewhere here (posix-generic, "
           "macOS, the BSDs, Linux before 6.15, valgrind): PIPC_ESYS checked");
}

/* An argument that is not UTF-8: POSIX passes the bytes as they are (the
   child runs), Windows cannot say it in UTF-16 (PIPC_EINVAL, nothing
   started) - with pipc_process_spawn and pipc_process_spawn_ex alike. */
void test_process_argument_not_utf8(void) {
  const char *argv[] = {t_self_exe(), "--child", "exit", "5", "bad-\xff\xfe-utf8", NULL};
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  int ex;
  memset(&o, 0, sizeof o);
  for (ex = 0; ex < 2; ex++) {
    int rc = ex ? pipc_process_spawn_ex(argv, &o, &p) : pipc_process_spawn(argv, &p);
#ifdef _WIN32
    T_RC(rc, PIPC_EINVAL);
    CU_ASSERT_PTR_NULL(p);
#else
    T_RC(rc, PIPC_OK);
    if (p) {
      int code = -1;
      T_RC(pipc_process_wait(p, 30000, &code), PIPC_OK);
      CU_ASSERT_EQUAL(code, 5);
    }
#endif
    if (p) pipc_process_free(p);
    p = NULL;
  }
}

void test_process_wait_timeout_and_kill(void) {
  pipc_process *p = t_spawn("sleep", "60000", NULL);
  int code = 1234;
  int64_t t0;
  CU_ASSERT_FATAL(p != NULL);
  CU_ASSERT(pipc_process_pid(p) > 0);
  CU_ASSERT(pipc_process_pid(p) != pipc_self_pid());
  CU_ASSERT(pipc_self_pid() > 0);
  T_RC(pipc_process_wait(p, 0, &code), PIPC_EAGAIN);
  t0 = t_now_ms();
  T_RC(pipc_process_wait(p, 100, &code), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 100);
  CU_ASSERT_EQUAL(code, 1234); /* untouched while it runs */
  T_RC(pipc_process_kill(p), PIPC_OK);
  T_RC(pipc_process_wait(p, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, -9);
  /* waiting again, and killing the dead, are harmless */
  code = 0;
  T_RC(pipc_process_wait(p, 0, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, -9);
  T_RC(pipc_process_kill(p), PIPC_OK);
  pipc_process_free(p);
}

void test_process_missing_program_is_enoent(void) {
  const char *argv[] = {"pipc-no-such-program-xyz", "arg", NULL};
  const char *argv2[] = {"/no/such/dir/pipc-missing", NULL};
  pipc_process *p = (pipc_process *)1;
  T_RC(pipc_process_spawn(argv, &p), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(p);
  T_RC(pipc_process_spawn(argv2, &p), PIPC_ENOENT);
}

/* An executable file that is no program (text, no #!): PIPC_EACCES on
   every OS, as the docs say - not PIPC_ESYS. */
void test_process_not_a_program_is_eacces(void) {
  char name[80], path[96];
  const char *argv[] = {path, NULL};
  pipc_process *p = (pipc_process *)1;
  const char *why = t_os_why_no_exec_errors();
  FILE *f;
  if (why) T_SKIP(why);
  t_name(name, sizeof name, "notprog");
  snprintf(path, sizeof path, "./%s.exe", name);
  f = fopen(path, "wb");
  CU_ASSERT_FATAL(f != NULL);
  fputs("this is text, not a program\n", f);
  fclose(f);
  CU_ASSERT_EQUAL_FATAL(t_os_make_executable(path), 0);
  T_RC(pipc_process_spawn(argv, &p), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(p);
  remove(path);
}

void test_process_self_exe(void) {
  char buf[4096], small[4];
  size_t n;
  T_RC(pipc_self_exe(buf, sizeof buf), PIPC_OK);
  n = strlen(buf);
  CU_ASSERT(n > 0);
  CU_ASSERT(strstr(buf, "pipc-tests") != NULL);
  T_RC(pipc_self_exe(small, sizeof small), PIPC_EOVERFLOW);
}

int role_handles(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return t_os_count_handles();
}

/* A child gets none of this process's pipc handles (POSIX: descriptors
   without FD_CLOEXEC; Windows: handles naming pipc objects). */
void test_process_no_handle_inherited(void) {
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  pipc_shm *shm = NULL;
  pipc_process *p;
  intptr_t control;
  /* what every child of this process gets anyway (e.g. from the test
     runner; not pipc's), counted before pipc made anything */
  int inherited = t_join(t_spawn("handles", NULL), 30000);
  CU_ASSERT_FATAL(inherited >= 0);
  T_RC(pipc_sem_create(NULL, 0, 0, &sem), PIPC_OK);
  T_RC(pipc_lock_create(NULL, &lock), PIPC_OK);
  T_RC(pipc_shm_create(NULL, 4096, &shm), PIPC_OK);
  CU_ASSERT_FATAL(sem && lock && shm);
  T_RC(pipc_lock_acquire(lock, 0), PIPC_OK);
  p = t_spawn("sleep", "60000", NULL); /* a live process handle, too */
  /* Control: a handle left inheritable on purpose is seen. */
  control = t_os_inheritable_open();
  CU_ASSERT(control != -1);
  CU_ASSERT_EQUAL(t_join(t_spawn("handles", NULL), 30000), inherited + 1);
  t_os_inheritable_close(control);
  CU_ASSERT_EQUAL(t_join(t_spawn("handles", NULL), 30000), inherited);
  pipc_process_kill(p);
  t_join(p, 30000);
  pipc_lock_release(lock);
  pipc_sem_unlink(pipc_sem_name(sem));
  pipc_lock_unlink(pipc_lock_name(lock));
  pipc_shm_unlink(pipc_shm_name(shm));
  pipc_sem_close(sem);
  pipc_lock_close(lock);
  pipc_shm_close(shm);
}
