/* seed002_value.c - C twin of seed 002's multiprocessing.Value demo.
 *
 * Python:  money = Value('i', 5000); one process adds, another subtracts.
 * The seed's version races: `money.value += x` is a read-modify-write.
 * Here the balance lives in pipc shared memory and a pipc Lock guards each
 * update, so the final balance is exactly 5000 + deposits - withdrawals.
 */
#include <string.h>
#include "example_util.h"

struct account {
  int money;            /* the Value('i', 5000) */
  int deposited, spent; /* bookkeeping, to check the result */
};

static int worker(const char *role, const char *shm_name, const char *lock_name) {
  pipc_shm *shm;
  pipc_lock *lock;
  struct account *acc;
  int i, man = strcmp(role, "man") == 0;
  CHECK(pipc_shm_open(shm_name, &shm));
  CHECK(pipc_lock_open(lock_name, &lock));
  acc = (struct account *)pipc_shm_addr(shm);
  srand((unsigned)pipc_self_pid() ^ (man ? 7u : 13u));
  for (i = 0; i < 30; i++) {
    int x = man ? 1 + rand() % 1000 : 100 + rand() % 701;
    pipc_sleep_ms(5);
    CHECK(pipc_lock_acquire(lock, PIPC_FOREVER));
    if (man) {
      acc->money += x;
      acc->deposited += x;
    } else {
      acc->money -= x;
      acc->spent += x;
    }
    CHECK(pipc_lock_release(lock));
  }
  pipc_lock_close(lock);
  pipc_shm_close(shm);
  return 0;
}

int main(int argc, char **argv) {
  pipc_shm *shm;
  pipc_lock *lock;
  struct account *acc;
  pipc_process *man, *girl;
  if (argc == 4) return worker(argv[1], argv[2], argv[3]);

  CHECK(pipc_shm_create(NULL, sizeof(struct account), &shm)); /* zero-filled */
  CHECK(pipc_lock_create(NULL, &lock));
  acc = (struct account *)pipc_shm_addr(shm);
  acc->money = 5000;
  man = spawn_self("man", pipc_shm_name(shm), pipc_lock_name(lock));
  girl = spawn_self("girl", pipc_shm_name(shm), pipc_lock_name(lock));
  join(man);
  join(girl);
  printf("monthly balance: %d (5000 + %d deposited - %d spent = %d)\n",
         acc->money, acc->deposited, acc->spent,
         5000 + acc->deposited - acc->spent);
  pipc_shm_unlink(pipc_shm_name(shm));
  pipc_lock_unlink(pipc_lock_name(lock));
  if (acc->money != 5000 + acc->deposited - acc->spent) return 1;
  pipc_shm_close(shm);
  pipc_lock_close(lock);
  return 0;
}
