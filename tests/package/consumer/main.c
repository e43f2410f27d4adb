/* A program that uses an installed pipc: one message through a queue. */
#include <stdio.h>
#include <string.h>

#include <pipc.h>

int main(void) {
  pipc_queue *q = NULL;
  char buf[16];
  size_t len = 0;
  int rc = pipc_queue_create(NULL, 4, sizeof buf, &q);
  if (rc == PIPC_OK) rc = pipc_queue_put(q, "installed", 9, 0);
  if (rc == PIPC_OK) rc = pipc_queue_get(q, buf, sizeof buf, &len, 0);
  if (q) {
    pipc_queue_unlink(pipc_queue_name(q));
    pipc_queue_close(q);
  }
  if (rc != PIPC_OK || len != 9 || memcmp(buf, "installed", 9) != 0) {
    fprintf(stderr, "consumer: %s\n", pipc_strerror(rc));
    return 1;
  }
  printf("consumer: ok\n");
  return 0;
}
