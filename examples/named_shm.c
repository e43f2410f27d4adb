/* named_shm.c - shared memory and a robust Lock between unrelated programs,
 * found by name: a "board" (a counter and a line of text) in segment NAME,
 * guarded by the Lock NAME.lock.
 *
 *   terminal 1:  named_shm host board          create both; print each change;
 *                                              stop when the text is "quit"
 *   terminal 2:  named_shm update board hello  write a text (waits up to 10 s
 *                                              for the board to appear)
 *   terminal 3:  named_shm crash board         take the lock, start an update
 *                                              and hang: press Ctrl-C.  The
 *                                              next one to take the lock gets
 *                                              PIPC_EOWNERDEAD and repairs.
 *   terminal 2:  named_shm update board quit
 *   named_shm selftest                         all of it, checked (the ctest
 *                                              case; the crash is a kill)
 */
#include <string.h>
#include "example_util.h"

#define APPEAR_MS 10000

struct board {      /* the segment's bytes: plain data, no pointers */
  int counter;      /* updates completed */
  int dirty;        /* 1 while an update is half done */
  int repairs;      /* times a dead holder's mess was cleaned up */
  char text[128];
};

/* Open the board and its lock, waiting for the host to create them. */
static struct board *attach(const char *name, pipc_shm **shm, pipc_lock **lock) {
  char lname[PIPC_NAME_MAX + 8];
  int waited = 0, rc;
  while ((rc = pipc_shm_open(name, shm)) == PIPC_ENOENT && waited < APPEAR_MS) {
    pipc_sleep_ms(100);
    waited += 100;
  }
  CHECK(rc);
  if (pipc_shm_size(*shm) < sizeof(struct board)) CHECK(PIPC_ECORRUPT); /* not ours */
  snprintf(lname, sizeof lname, "%s.lock", name);
  CHECK(pipc_lock_open(lname, lock)); /* the host made it before the segment */
  return (struct board *)pipc_shm_addr(*shm);
}

/* Take the lock.  PIPC_EOWNERDEAD is not a failure: the last holder died
   holding it and the lock is now *ours*.  What it guards may be half
   updated, so repair it before anything else; then go on, and release as
   usual - from then on the lock works normally. */
static void lock_board(pipc_lock *lock, struct board *b) {
  int rc = pipc_lock_acquire(lock, PIPC_FOREVER);
  if (rc == PIPC_EOWNERDEAD) {
    printf("%ld: the last holder died holding the lock; repairing\n", pipc_self_pid());
    if (b->dirty) { /* its text may be half written: replace it */
      strcpy(b->text, "(repaired)");
      b->dirty = 0;
    }
    b->repairs++;
  } else {
    CHECK(rc);
  }
}

static int host(const char *name) {
  char lname[PIPC_NAME_MAX + 8];
  pipc_shm *shm;
  pipc_lock *lock;
  struct board *b;
  int seen = 0, fixed = 0, done = 0;
  snprintf(lname, sizeof lname, "%s.lock", name);
  CHECK(pipc_lock_create(lname, &lock)); /* the lock first: whoever finds */
  CHECK(pipc_shm_create(name, sizeof *b, &shm)); /* the board finds it too */
  b = (struct board *)pipc_shm_addr(shm);       /* zero-filled */
  printf("host: board \"%s\" is up; update it to \"quit\" to stop\n", name);
  while (!done) {
    lock_board(lock, b);
    if (b->counter != seen || b->repairs != fixed)
      printf("host: update #%d \"%s\" (repairs: %d)\n", b->counter, b->text, b->repairs);
    seen = b->counter;
    fixed = b->repairs;
    done = strcmp(b->text, "quit") == 0;
    CHECK(pipc_lock_release(lock));
    if (!done) pipc_sleep_ms(50); /* a poll keeps the example short */
  }
  CHECK(pipc_shm_unlink(name));
  CHECK(pipc_lock_unlink(lname));
  CHECK(pipc_shm_close(shm));
  CHECK(pipc_lock_close(lock));
  return 0;
}

/* Write text into the board; *after gets a copy of it taken under the lock. */
static int update(const char *name, const char *text, struct board *after) {
  pipc_shm *shm;
  pipc_lock *lock;
  struct board *b = attach(name, &shm, &lock);
  lock_board(lock, b);
  b->dirty = 1; /* from here until dirty = 0, a death leaves a mess */
  snprintf(b->text, sizeof b->text, "%s", text);
  b->counter++;
  b->dirty = 0;
  if (after) *after = *b;
  printf("update: #%d \"%s\"\n", b->counter, b->text);
  CHECK(pipc_lock_release(lock));
  CHECK(pipc_lock_close(lock));
  CHECK(pipc_shm_close(shm));
  return 0;
}

/* Die mid-update: hold the lock with the board half written, until killed. */
static int crash(const char *name) {
  pipc_shm *shm;
  pipc_lock *lock;
  struct board *b = attach(name, &shm, &lock);
  lock_board(lock, b);
  b->dirty = 1;
  strcpy(b->text, "half wri");
  printf("crash: holding the lock mid-update; kill me (Ctrl-C)\n");
  for (;;) pipc_sleep_ms(1000); /* never returns: it is killed */
  return 0;
}

static int selftest(void) {
  char name[PIPC_NAME_MAX + 1];
  pipc_shm *shm;
  pipc_lock *lock;
  pipc_process *h, *c;
  volatile struct board *b;
  struct board end;
  int code = 0, waited = 0;
  snprintf(name, sizeof name, "named_shm.%ld", pipc_self_pid());
  h = spawn_self("host", name, NULL);            /* unrelated programs: */
  join(spawn_self("update", name, "hello"));     /* nothing but the name */
  b = attach(name, &shm, &lock);
  c = spawn_self("crash", name, NULL);
  while (!b->dirty && waited < 60000) { /* until it holds the lock mid-update */
    pipc_sleep_ms(10);
    waited += 10;
  }
  CHECK(pipc_process_kill(c));
  CHECK(pipc_process_wait(c, PIPC_FOREVER, &code));
  pipc_process_free(c);
  update(name, "quit", &end); /* the host, or we, get PIPC_EOWNERDEAD */
  join(h);
  CHECK(pipc_lock_close(lock));
  CHECK(pipc_shm_close(shm));
  printf("selftest: %d updates, %d repair, text \"%s\", crash exit code %d\n",
         end.counter, end.repairs, end.text, code);
  return end.counter == 2 && end.repairs == 1 && !end.dirty && code == -9 &&
                 strcmp(end.text, "quit") == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && strcmp(argv[1], "host") == 0) return host(argv[2]);
  if (argc == 4 && strcmp(argv[1], "update") == 0) return update(argv[2], argv[3], NULL);
  if (argc == 3 && strcmp(argv[1], "crash") == 0) return crash(argv[2]);
  if (argc == 2 && strcmp(argv[1], "selftest") == 0) return selftest();
  fprintf(stderr, "usage: %s host NAME | update NAME TEXT | crash NAME | selftest\n", argv[0]);
  return 2;
}
