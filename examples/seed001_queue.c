/* seed001_queue.c - C twin of seed 001's Queue demo.
 *
 * Python:  queue = Queue(2); a putter process puts five random numbers, a
 * getter process takes them with get(True, 10) and stops at queue.Empty.
 * Here: pipc_queue_create(NULL, 2, ...); the getter's timeout is 1 s (the
 * seed's 10 s, shortened so the demo ends quickly).  The putter blocks
 * while the queue holds two, exactly as with Queue(2).
 */
#include <string.h>
#include "example_util.h"

static int getter(const char *qname) {
  pipc_queue *q;
  double value;
  size_t len;
  int rc, n = 0;
  CHECK(pipc_queue_open(qname, &q));
  printf("subprocess getter : %ld\n", pipc_self_pid());
  while ((rc = pipc_queue_get(q, &value, sizeof value, &len, 1000)) == PIPC_OK) {
    printf("subprocess getter : get value %f\n", value);
    n++;
  }
  /* queue.Empty after the timeout ends the loop, as in the seed */
  printf("subprocess getter : %s, %d values\n", pipc_strerror(rc), n);
  pipc_queue_close(q);
  return rc == PIPC_ETIMEDOUT && n == 5 ? 0 : 1;
}

static int putter(const char *qname) {
  pipc_queue *q;
  int i;
  CHECK(pipc_queue_open(qname, &q));
  printf("subprocess putter : %ld\n", pipc_self_pid());
  srand((unsigned)pipc_self_pid());
  for (i = 0; i < 5; i++) {
    double value = rand() / (RAND_MAX + 1.0);
    CHECK(pipc_queue_put(q, &value, sizeof value, PIPC_FOREVER));
    printf("subprocess putter : put value %f\n", value);
  }
  pipc_queue_close(q);
  return 0;
}

int main(int argc, char **argv) {
  pipc_queue *q;
  pipc_process *g, *p;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3) return strcmp(argv[1], "getter") == 0 ? getter(argv[2]) : putter(argv[2]);
  printf("parent process run %ld\n", pipc_self_pid());
  CHECK(pipc_queue_create(NULL, 2, sizeof(double), &q)); /* Queue(2) */
  g = spawn_self("getter", pipc_queue_name(q), NULL);
  p = spawn_self("putter", pipc_queue_name(q), NULL);
  join(p);
  join(g);
  pipc_queue_unlink(pipc_queue_name(q));
  pipc_queue_close(q);
  return 0;
}
