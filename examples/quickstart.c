/* quickstart.c - the README's example, built and run by the test suite. */
#include "pipc.h"

int main(int argc, char **argv) {
  pipc_shm *shm; pipc_lock *lock; pipc_process *child;
  char exe[4096]; int code = -1, ok;
  if (argc == 3) {                                  /* the child */
    pipc_shm_open(argv[1], &shm);
    pipc_lock_open(argv[2], &lock);
    int *money = pipc_shm_addr(shm);
    for (int i = 0; i < 1000; i++) {
      pipc_lock_acquire(lock, PIPC_FOREVER);        /* PIPC_EOWNERDEAD: repair, go on */
      *money += 1;
      pipc_lock_release(lock);
    }
    pipc_lock_close(lock);
    return pipc_shm_close(shm);
  }
  pipc_shm_create(NULL, sizeof(int), &shm);         /* zero-filled, unique name */
  pipc_lock_create(NULL, &lock);
  pipc_self_exe(exe, sizeof exe);
  const char *args[] = {exe, pipc_shm_name(shm), pipc_lock_name(lock), NULL};
  pipc_process_spawn(args, &child);
  pipc_process_wait(child, PIPC_FOREVER, &code);
  pipc_process_free(child);
  ok = code == 0 && *(int *)pipc_shm_addr(shm) == 1000;
  pipc_shm_unlink(pipc_shm_name(shm));              /* portable: unlink when done */
  pipc_lock_unlink(pipc_lock_name(lock));
  pipc_shm_close(shm);
  pipc_lock_close(lock);
  return ok ? 0 : 1;
}
