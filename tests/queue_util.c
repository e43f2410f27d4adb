/* queue_util.c - helpers of the queue suites (queue_util.h). */
#include "queue_util.h"
#include "harness.h"

pipc_queue *make_queue(char *name, size_t namecap, const char *tag,
                              size_t capacity, size_t max_msg) {
  pipc_queue *q = NULL;
  t_name(name, namecap, tag);
  T_RC(pipc_queue_create(name, capacity, max_msg, &q), PIPC_OK);
  return q;
}

void drop_queue(pipc_queue *q) {
  if (q == NULL) return;
  pipc_queue_unlink(pipc_queue_name(q));
  pipc_queue_close(q);
}

static uint32_t msg_check(const struct msg *m) {
  uint32_t h = 2166136261u, i;
  h = (h ^ m->producer) * 16777619u;
  h = (h ^ m->seq) * 16777619u;
  h = (h ^ m->n) * 16777619u;
  for (i = 0; i < m->n; i++) h = (h ^ m->payload[i]) * 16777619u;
  return h;
}

size_t msg_fill(struct msg *m, uint32_t producer, uint32_t seq) {
  uint32_t r = producer * 7919u + seq + 1, i;
  m->producer = producer;
  m->seq = seq;
  m->n = t_rand(&r) % 49;
  for (i = 0; i < m->n; i++) m->payload[i] = (unsigned char)t_rand(&r);
  m->check = msg_check(m);
  return 16 + m->n;
}

int msg_bad(const struct msg *m, size_t len) {
  return len < 16 || m->n > 48 || len != 16 + m->n || m->check != msg_check(m);
}
