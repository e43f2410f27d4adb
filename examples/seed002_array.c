/* seed002_array.c - C twin of seed 002's multiprocessing.Array demo.
 *
 * Python:  shm = Array('i', [1, 2, 3, 4, 5]); a child prints every element
 * and sets shm[1] = 1000; the parent sees the change.
 */
#include "example_util.h"

int main(int argc, char **argv) {
  pipc_shm *shm;
  int *a, i;
  if (argc == 3) { /* the child: fun() */
    CHECK(pipc_shm_open(argv[2], &shm));
    a = (int *)pipc_shm_addr(shm);
    for (i = 0; i < 5; i++) printf("child sees a[%d] = %d\n", i, a[i]);
    a[1] = 1000; /* modify the shared memory */
    pipc_shm_close(shm);
    return 0;
  }
  CHECK(pipc_shm_create(NULL, 5 * sizeof(int), &shm));
  a = (int *)pipc_shm_addr(shm);
  for (i = 0; i < 5; i++) a[i] = i + 1;
  join(spawn_self("fun", pipc_shm_name(shm), NULL));
  printf("parent sees:");
  for (i = 0; i < 5; i++) printf(" %d", a[i]);
  printf("\n");
  pipc_shm_unlink(pipc_shm_name(shm));
  i = a[1] == 1000 ? 0 : 1;
  pipc_shm_close(shm);
  return i;
}
