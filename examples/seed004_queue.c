/* seed004_queue.c - C twin of seed 004's Queue demo.
 *
 * Python:  a child process puts 'python' into a Queue and ends; the parent
 * joins it, then gets the value.  The message outlives the process that
 * sent it.
 */
#include <string.h>
#include "example_util.h"

int main(int argc, char **argv) {
  pipc_queue *q;
  char buf[64];
  size_t len;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 4) { /* action(queue, name) */
    CHECK(pipc_queue_open(argv[2], &q));
    printf("%ld puts data %s\n", pipc_self_pid(), argv[3]);
    CHECK(pipc_queue_put(q, argv[3], strlen(argv[3]), PIPC_FOREVER));
    pipc_queue_close(q);
    return 0;
  }
  CHECK(pipc_queue_create(NULL, 8, sizeof buf, &q));
  join(spawn_self("action", pipc_queue_name(q), "python")); /* start + join */
  printf("%ld gets data:\n", pipc_self_pid());
  CHECK(pipc_queue_get(q, buf, sizeof buf - 1, &len, 0)); /* already there */
  buf[len] = '\0';
  printf("%s\n", buf);
  pipc_queue_unlink(pipc_queue_name(q));
  pipc_queue_close(q);
  return strcmp(buf, "python") == 0 ? 0 : 1;
}
