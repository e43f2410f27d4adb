/* main.c - runs the conformance suite, or one helper role.
 *   pipc-tests                      every suite
 *   pipc-tests --suite NAME         one suite (ctest runs each on its own)
 *   pipc-tests --suite S --test T   one case
 *   pipc-tests --list               the suites and cases
 *   pipc-tests --child ROLE ARGS    a helper process for a cross-process case
 *
 * Skips.  A case that does not apply here (not root, one user under Wine,
 * no /dev/shm ...) calls T_SKIP(reason) and is reported as "skipped" with
 * its reason, never as "passed".  After CUnit's summary the runner prints
 * "skipped: N" and one line per skipped case, so nothing that was left out
 * is hidden; a case that failed an assertion before skipping is counted
 * failed, not skipped.  The exit code tells ctest (tests/CMakeLists.txt sets
 * SKIP_RETURN_CODE 77):
 *   1   a case failed
 *   77  every case that ran skipped: ctest reports the suite as skipped
 *   0   otherwise - a suite with some passes and some skips passed, and its
 *       skips are in its output ("skipped: N"), where scripts/test-all.sh
 *       counts them.  Reporting such a suite as skipped would hide the
 *       cases that did run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"
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

/* The exit code of a run in which every case skipped: ctest's
   SKIP_RETURN_CODE (tests/CMakeLists.txt), automake's 77. */
#define T_EXIT_ALL_SKIPPED 77

static char self_exe[4096];

const char *t_self_exe(void) { return self_exe; }

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
    fprintf(stderr, "\n  spawning role %s: %s (OS error %d)", role, pipc_strerror(rc),
            pipc_last_os_error());
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

uint32_t t_rand(uint32_t *s) {
  uint32_t x = *s ? *s : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

/* ---- skips ---- */

#define MAX_SKIPS 256
static struct {
  CU_pTest test;
  const char *suite, *name;
  char reason[256];
} skips[MAX_SKIPS];
static int nskips;          /* recorded by t_skip */
static int nskipped;        /* cases that ended skipped, not failed */
static int current_skipped; /* the running case called T_SKIP */

void t_skip(const char *reason) {
  CU_pTest t = CU_get_current_test();
  CU_pSuite s = CU_get_current_suite();
  current_skipped = 1;
  if (nskips == MAX_SKIPS) return; /* still counted; only its line is lost */
  skips[nskips].test = t;
  skips[nskips].suite = s ? s->pName : "?";
  skips[nskips].name = t ? t->pName : "?";
  snprintf(skips[nskips].reason, sizeof skips[nskips].reason, "%s",
           reason ? reason : "(no reason given)");
  nskips++;
}

/* CUnit's basic interface says "passed" for any case without a failed
   assertion; these handlers say it in the same format, and "skipped" for
   a case that called T_SKIP. */
static void on_suite_start(const CU_pSuite suite) {
  printf("\nSuite: %s", suite->pName);
}

static void on_test_start(const CU_pTest test, const CU_pSuite suite) {
  (void)suite;
  current_skipped = 0;
  printf("\n  Test: %s ...", test->pName);
}

static void on_test_complete(const CU_pTest test, const CU_pSuite suite,
                             const CU_pFailureRecord failures) {
  CU_pFailureRecord f;
  int i;
  (void)suite;
  if (failures == NULL && current_skipped) {
    printf("skipped: %s", nskips ? skips[nskips - 1].reason : "?");
    nskipped++;
    return;
  }
  if (failures == NULL) {
    printf("passed");
    return;
  }
  if (current_skipped) {
    /* failed, then skipped: a failure, whatever came after it */
    printf("FAILED (then skipped: %s)", nskips ? skips[nskips - 1].reason : "?");
    if (nskips && skips[nskips - 1].test == test) nskips--; /* not listed as a skip */
  } else {
    printf("FAILED");
  }
  for (i = 1, f = failures; f != NULL; f = f->pNext, i++)
    printf("\n    %d. %s:%u  - %s", i, f->strFileName ? f->strFileName : "",
           f->uiLineNumber, f->strCondition ? f->strCondition : "");
}

static void on_suite_init_failure(const CU_pSuite suite) {
  printf("\nWARNING - suite %s could not be set up", suite->pName);
}

static void on_suite_cleanup_failure(const CU_pSuite suite) {
  printf("\nWARNING - suite %s could not be cleaned up", suite->pName);
}

static int run_role(int argc, char **argv) {
  size_t i;
  for (i = 0; i < COUNT(roles); i++)
    if (strcmp(roles[i].name, argv[0]) == 0) return roles[i].fn(argc, argv);
  fprintf(stderr, "pipc-tests: unknown role %s\n", argv[0]);
  return 99;
}

int main(int argc, char **argv) {
  const char *only = NULL, *only_test = NULL;
  size_t s, t;
  int i, failed, ran;
  argv = t_os_utf8_argv(&argc, argv);

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
  printf("\n\n     CUnit - A unit testing framework for C - Version %s\n", CU_VERSION);
  CU_set_suite_start_handler(on_suite_start);
  CU_set_test_start_handler(on_test_start);
  CU_set_test_complete_handler(on_test_complete);
  CU_set_suite_init_failure_handler(on_suite_init_failure);
  CU_set_suite_cleanup_failure_handler(on_suite_cleanup_failure);
  CU_run_all_tests();
  printf("\n\n");
  CU_print_run_results(stdout);
  printf("\nskipped: %d\n", nskipped);
  for (i = 0; i < nskips; i++)
    printf("  %s/%s: %s\n", skips[i].suite, skips[i].name, skips[i].reason);
  ran = (int)CU_get_number_of_tests_run();
  failed = (int)(CU_get_number_of_failures() + CU_get_number_of_tests_failed());
  CU_cleanup_registry();
  if (failed) return 1;
  return nskipped > 0 && nskipped == ran ? T_EXIT_ALL_SKIPPED : 0;
}
