/* seed003_queue.c - C twin of seed 003's Queue demo: two writer processes,
 * one reader process.
 *
 * Python:  proc_write puts urls with random sleeps; proc_read loops on
 * q.get(True); the parent joins the writers, then terminate()s the reader.
 * Here the parent waits until the reader has emptied the queue before it
 * kills the reader, so no url is lost to the terminate.
 */
#include <string.h>
#include "example_util.h"

static int proc_write(const char *qname, const char *urls) {
  pipc_queue *q;
  const char *url = urls;
  CHECK(pipc_queue_open(qname, &q));
  printf("Process is write......\n");
  srand((unsigned)pipc_self_pid());
  while (*url) { /* urls is "a,b,c" */
    size_t n = strcspn(url, ",");
    CHECK(pipc_queue_put(q, url, n, PIPC_FOREVER));
    printf("put %.*s to queue...\n", (int)n, url);
    url += n + (url[n] == ',');
    pipc_sleep_ms(rand() % 100); /* time.sleep(random.random()), shortened */
  }
  pipc_queue_close(q);
  return 0;
}

static int proc_read(const char *qname) {
  pipc_queue *q;
  char url[64];
  size_t len;
  CHECK(pipc_queue_open(qname, &q));
  printf("Process is reading......\n");
  for (;;) { /* a reader that never ends by itself, as in the seed */
    CHECK(pipc_queue_get(q, url, sizeof url - 1, &len, PIPC_FOREVER));
    url[len] = '\0';
    printf("Get %s from queue\n", url);
  }
}

int main(int argc, char **argv) {
  pipc_queue *q;
  pipc_process *w1, *w2, *r;
  size_t left = 1;
  int i, code;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 4) return proc_write(argv[2], argv[3]);
  if (argc == 3) return proc_read(argv[2]);
  CHECK(pipc_queue_create(NULL, 16, 64, &q));
  w1 = spawn_self("write", pipc_queue_name(q), "url1,url2,url3");
  w2 = spawn_self("write", pipc_queue_name(q), "url4,url5");
  r = spawn_self("read", pipc_queue_name(q), NULL);
  join(w1);
  join(w2);
  for (i = 0; i < 500 && left > 0; i++) { /* let the reader catch up */
    CHECK(pipc_queue_size(q, &left));
    if (left) pipc_sleep_ms(10);
  }
  CHECK(pipc_process_kill(r)); /* prco_reader.terminate() */
  CHECK(pipc_process_wait(r, PIPC_FOREVER, &code));
  pipc_process_free(r);
  printf("reader terminated (exit code %d); %lu urls left unread\n", code, (unsigned long)left);
  pipc_queue_unlink(pipc_queue_name(q));
  pipc_queue_close(q);
  return left == 0 ? 0 : 1;
}
