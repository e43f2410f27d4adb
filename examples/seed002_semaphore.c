/* seed002_semaphore.c - C twin of seed 002's Semaphore(3) demo.
 *
 * Python:  sem = Semaphore(3); ten processes each acquire, "work" for a
 * while, release.  At most three run at once; a shared tally (shm + Lock)
 * proves it.
 */
#include "example_util.h"

struct tally {
  int inside, most;
};

static int task(const char *names) {
  char sem_name[PIPC_NAME_MAX + 1], lock_name[PIPC_NAME_MAX + 1],
      shm_name[PIPC_NAME_MAX + 1];
  pipc_sem *sem;
  pipc_lock *lock;
  pipc_shm *shm;
  struct tally *t;
  if (sscanf(names, "%64[^,],%64[^,],%64s", sem_name, lock_name, shm_name) != 3)
    return 2;
  CHECK(pipc_sem_open(sem_name, &sem));
  CHECK(pipc_lock_open(lock_name, &lock));
  CHECK(pipc_shm_open(shm_name, &shm));
  t = (struct tally *)pipc_shm_addr(shm);

  CHECK(pipc_sem_wait(sem, PIPC_FOREVER)); /* sem.acquire() */
  CHECK(pipc_lock_acquire(lock, PIPC_FOREVER));
  if (++t->inside > t->most) t->most = t->inside;
  printf("%ld runs its task (%d running)\n", pipc_self_pid(), t->inside);
  CHECK(pipc_lock_release(lock));
  pipc_sleep_ms(200); /* sleep(2) in the seed */
  CHECK(pipc_lock_acquire(lock, PIPC_FOREVER));
  t->inside--;
  CHECK(pipc_lock_release(lock));
  printf("%ld finished\n", pipc_self_pid());
  CHECK(pipc_sem_post(sem)); /* sem.release() */
  pipc_sem_close(sem);
  pipc_lock_close(lock);
  pipc_shm_close(shm);
  return 0;
}

int main(int argc, char **argv) {
  pipc_sem *sem;
  pipc_lock *lock;
  pipc_shm *shm;
  pipc_process *p[10];
  char names[3 * (PIPC_NAME_MAX + 1)];
  struct tally *t;
  int i, ok;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3) return task(argv[2]);

  CHECK(pipc_sem_create(NULL, 3, 3, &sem)); /* Semaphore(3), bounded */
  CHECK(pipc_lock_create(NULL, &lock));
  CHECK(pipc_shm_create(NULL, sizeof(struct tally), &shm));
  snprintf(names, sizeof names, "%s,%s,%s", pipc_sem_name(sem),
           pipc_lock_name(lock), pipc_shm_name(shm));
  for (i = 0; i < 10; i++) p[i] = spawn_self("task", names, NULL);
  for (i = 0; i < 10; i++) join(p[i]);
  t = (struct tally *)pipc_shm_addr(shm);
  printf("10 tasks done; at most %d ran at once (the semaphore allows 3)\n", t->most);
  ok = t->most >= 1 && t->most <= 3;
  pipc_sem_unlink(pipc_sem_name(sem));
  pipc_lock_unlink(pipc_lock_name(lock));
  pipc_shm_unlink(pipc_shm_name(shm));
  pipc_sem_close(sem);
  pipc_lock_close(lock);
  pipc_shm_close(shm);
  return ok ? 0 : 1;
}
