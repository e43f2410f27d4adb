/* named_sem.c - a Semaphore with N slots, shared by unrelated programs that
 * know only its name.
 *
 *   terminal 1:  named_sem init slots 2        create "slots" with 2 slots;
 *                                              keep it until Enter, then
 *                                              remove the name
 *   terminals 2, 3, 4 ...:
 *                named_sem worker slots 1      take a slot (waiting while all
 *                named_sem worker slots 2      are taken), work a second,
 *                named_sem worker slots 3      give it back
 *   named_sem rm slots                         remove a name left behind (POSIX:
 *                                              after `init` was killed)
 *   named_sem selftest                         checked (the ctest case): holds
 *                                              both slots, starts 4 workers by
 *                                              name, sees them wait, lets go
 *
 * Why `init` stays up: on Windows a name lives only while some process has
 * it open.  On POSIX it lives until removed, even with nobody using it.
 */
#include <string.h>
#include "example_util.h"

#define APPEAR_MS 10000

static int init(const char *name, const char *slots) {
  pipc_sem *s;
  int n = atoi(slots), c;
  if (n < 1) {
    fprintf(stderr, "init: N must be at least 1\n");
    return 2;
  }
  /* initial = max = N: a BoundedSemaphore(N); a post past N is an error. */
  CHECK(pipc_sem_create(name, (unsigned)n, (unsigned)n, &s));
  printf("init: semaphore \"%s\" with %d slots; press Enter to remove it\n", name, n);
  while ((c = getchar()) != '\n' && c != EOF) {
  }
  CHECK(pipc_sem_unlink(name)); /* workers that have it open carry on */
  CHECK(pipc_sem_close(s));
  return 0;
}

static int worker(const char *name, const char *id) {
  pipc_sem *s;
  unsigned free_now = 0;
  int waited = 0, rc;
  while ((rc = pipc_sem_open(name, &s)) == PIPC_ENOENT && waited < APPEAR_MS) {
    pipc_sleep_ms(100); /* `init` not started yet */
    waited += 100;
  }
  CHECK(rc);
  printf("worker %s: waiting for a slot\n", id);
  CHECK(pipc_sem_wait(s, PIPC_FOREVER)); /* sem.acquire() */
  CHECK(pipc_sem_value(s, &free_now));   /* a snapshot, for the show */
  printf("worker %s: got a slot (%u free now), working\n", id, free_now);
  pipc_sleep_ms(1000);
  /* A worker killed here takes its slot with it: a Semaphore, unlike the
     Lock, is not robust (nor is Python's).  Hence `init` and `rm`. */
  CHECK(pipc_sem_post(s)); /* sem.release() */
  printf("worker %s: done, slot given back\n", id);
  CHECK(pipc_sem_close(s));
  return 0;
}

static int rm(const char *name) {
  CHECK(pipc_sem_unlink(name)); /* PIPC_ENOENT: nothing to remove */
  printf("rm: \"%s\" removed\n", name);
  return 0;
}

static int selftest(void) {
  char name[PIPC_NAME_MAX + 1], id[16];
  pipc_sem *s;
  pipc_process *w[4];
  unsigned value = 0;
  int i, code, early = 0;
  snprintf(name, sizeof name, "named_sem.%ld", pipc_self_pid());
  CHECK(pipc_sem_create(name, 2, 2, &s));
  CHECK(pipc_sem_wait(s, 0)); /* take both slots ourselves */
  CHECK(pipc_sem_wait(s, 0));
  for (i = 0; i < 4; i++) {
    snprintf(id, sizeof id, "%d", i + 1);
    w[i] = spawn_self("worker", name, id); /* told nothing but the name */
  }
  pipc_sleep_ms(1500);
  for (i = 0; i < 4; i++) /* no slot free: none can have finished */
    if (pipc_process_wait(w[i], 0, &code) != PIPC_EAGAIN) early++;
  printf("selftest: giving both slots back\n");
  CHECK(pipc_sem_post(s));
  CHECK(pipc_sem_post(s));
  for (i = 0; i < 4; i++) join(w[i]);
  CHECK(pipc_sem_value(s, &value)); /* every slot back */
  join(spawn_self("rm", name, NULL)); /* while we have it open: on Windows */
  CHECK(pipc_sem_close(s));           /* the last close ends the name */
  printf("selftest: %d worker(s) finished without a slot, %u of 2 slots free\n",
         early, value);
  return early == 0 && value == 2 ? 0 : 1;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 4 && strcmp(argv[1], "init") == 0) return init(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "worker") == 0) return worker(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "rm") == 0) return rm(argv[2]);
  if (argc == 2 && strcmp(argv[1], "selftest") == 0) return selftest();
  fprintf(stderr, "usage: %s init NAME N | worker NAME ID | rm NAME | selftest\n", argv[0]);
  return 2;
}
