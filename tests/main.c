/* main.c - runs the conformance suite, or one helper role.
 *   pipc-tests                      every suite
 *   pipc-tests --suite NAME         one suite (ctest runs each on its own)
 *   pipc-tests --suite S --test T   one case
 *   pipc-tests --list               the suites and cases
 *   pipc-tests --child ROLE ARGS    a helper process for a cross-process case
 */
#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pipc_testing.h"
#include "test_list.h"

#define DECLARE_TEST(suite, name) void test_##suite##_##name(void);
#define NO_SUITE(suite)
PIPC_TEST_LIST(NO_SUITE, DECLARE_TEST)
#define DECLARE_ROLE(name) int role_##name(int argc, char **argv);
PIPC_ROLE_LIST(DECLARE_ROLE)

static const struct {
  const char *name;
  t_role_fn fn;
} roles[] = {
#define ROLE_ENTRY(name) {#name, role_##name},
    PIPC_ROLE_LIST(ROLE_ENTRY)};

static const struct {
  const char *suite, *name;
  CU_TestFunc fn;
} tests[] = {
#define TEST_ENTRY(suite, name) {#suite, #name, test_##suite##_##name},
    PIPC_TEST_LIST(NO_SUITE, TEST_ENTRY)};

static const char *suites[] = {
#define SUITE_ENTRY(suite) #suite,
#define NO_TEST(suite, name)
    PIPC_TEST_LIST(SUITE_ENTRY, NO_TEST)};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char self_exe[4096];

void t_report_rc(const char *expr, int got, int want, const char *file,
                 int line) {
  fprintf(stderr, "\n  %s:%d: %s returned %d (%s), expected %d (%s)", file,
          line, expr, got, pipc_strerror(got), want, pipc_strerror(want));
}

void t_name(char *buf, size_t cap, const char *tag) {
  static int n;
  snprintf(buf, cap, "t%ld-%s-%d-%u", (long)(pipc__test_entropy() % 100000), tag,
           ++n, (unsigned)(pipc__test_entropy() & 0xffff));
}

int64_t t_now_ms(void) { return pipc__test_now_ms(); }

pipc_process *t_spawn(const char *role, ...) {
  const char *argv[32];
  int argc = 0, rc;
  va_list ap;
  pipc_process *p = NULL;
  argv[argc++] = self_exe;
  argv[argc++] = "--child";
  argv[argc++] = role;
  va_start(ap, role);
  while (argc < 31 && (argv[argc] = va_arg(ap, const char *)) != NULL) argc++;
  va_end(ap);
  argv[argc] = NULL;
  rc = pipc_process_spawn(argv, &p);
  if (rc != PIPC_OK)
    fprintf(stderr, "\n  spawning role %s: %s", role, pipc_strerror(rc));
  return p;
}

int t_join(pipc_process *p, int timeout_ms) {
  int code = T_HUNG;
  if (p == NULL) return T_HUNG;
  if (pipc_process_wait(p, timeout_ms, &code) != PIPC_OK) {
    fprintf(stderr, "\n  child %ld hung; killed", pipc_process_pid(p));
    pipc_process_kill(p);
    pipc_process_wait(p, PIPC_FOREVER, NULL);
    code = T_HUNG;
  }
  pipc_process_free(p);
  return code;
}

#ifdef _WIN32
#include <windows.h>
struct t_thread {
  HANDLE h;
  void (*fn)(void *);
  void *arg;
};
static DWORD WINAPI thread_main(LPVOID p) {
  t_thread *t = (t_thread *)p;
  t->fn(t->arg);
  return 0;
}
t_thread *t_thread_start(void (*fn)(void *), void *arg) {
  t_thread *t = (t_thread *)calloc(1, sizeof(*t));
  t->fn = fn;
  t->arg = arg;
  t->h = CreateThread(NULL, 0, thread_main, t, 0, NULL);
  if (t->h == NULL) {
    free(t);
    return NULL;
  }
  return t;
}
void t_thread_join(t_thread *t) {
  if (t == NULL) return;
  WaitForSingleObject(t->h, INFINITE);
  CloseHandle(t->h);
  free(t);
}
#else
#include <pthread.h>
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
#endif

uint32_t t_rand(uint32_t *s) {
  uint32_t x = *s ? *s : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

static int run_role(int argc, char **argv) {
  size_t i;
  for (i = 0; i < COUNT(roles); i++)
    if (strcmp(roles[i].name, argv[0]) == 0) return roles[i].fn(argc, argv);
  fprintf(stderr, "pipc-tests: unknown role %s\n", argv[0]);
  return 99;
}

#ifdef _WIN32
#include <windows.h>
#include <shellapi.h>
/* The C runtime hands main() its arguments in the ANSI code page; pipc
   passes UTF-8, so rebuild argv from the UTF-16 command line. */
static char **utf8_argv(int *argc) {
  LPWSTR *w = CommandLineToArgvW(GetCommandLineW(), argc);
  char **a;
  int i;
  if (w == NULL) return NULL;
  a = (char **)calloc((size_t)*argc + 1, sizeof(char *));
  for (i = 0; a && i < *argc; i++) {
    int n = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
    a[i] = (char *)malloc((size_t)n);
    WideCharToMultiByte(CP_UTF8, 0, w[i], -1, a[i], n, NULL, NULL);
  }
  LocalFree(w);
  return a;
}
#endif

int main(int argc, char **argv) {
  const char *only = NULL, *only_test = NULL;
  size_t s, t;
  int i, failed;
#ifdef _WIN32
  {
    char **u = utf8_argv(&argc);
    if (u) argv = u;
  }
#endif

  setvbuf(stdout, NULL, _IONBF, 0);
  if (pipc_self_exe(self_exe, sizeof(self_exe)) != PIPC_OK) {
    fprintf(stderr, "pipc-tests: cannot find its own path\n");
    return 2;
  }
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--child") == 0 && i + 1 < argc)
      return run_role(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (strcmp(argv[i], "--test") == 0 && i + 1 < argc) {
      only_test = argv[++i];
    } else if (strcmp(argv[i], "--list") == 0) {
      for (t = 0; t < COUNT(tests); t++)
        printf("%s/%s\n", tests[t].suite, tests[t].name);
      return 0;
    } else {
      fprintf(stderr, "usage: %s [--suite NAME [--test NAME] | --list | --child ROLE ARGS]\n",
              argv[0]);
      return 2;
    }
  }

  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  for (s = 0; s < COUNT(suites); s++) {
    CU_pSuite suite;
    if (only && strcmp(only, suites[s]) != 0) continue;
    suite = CU_add_suite(suites[s], NULL, NULL);
    for (t = 0; t < COUNT(tests); t++)
      if (strcmp(tests[t].suite, suites[s]) == 0 &&
          (only_test == NULL || strcmp(only_test, tests[t].name) == 0))
        CU_add_test(suite, tests[t].name, tests[t].fn);
  }
  if (CU_get_registry()->uiNumberOfSuites == 0) {
    fprintf(stderr, "pipc-tests: no suite named %s\n", only ? only : "?");
    CU_cleanup_registry();
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failed = (int)(CU_get_number_of_failures() + CU_get_number_of_tests_failed());
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
