/* queue_util.h - what the queue suites (queue, queue_mp, queue_kill) share:
   a queue under a fresh name, and self-checking messages whose damage,
   loss or repetition a consumer can tell. */
#ifndef PIPC_TEST_QUEUE_UTIL_H
#define PIPC_TEST_QUEUE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "pipc.h"

/* A queue created under a fresh name t_name(tag) (written to name); NULL,
   with the failure reported, if create failed. */
pipc_queue *make_queue(char *name, size_t namecap, const char *tag, size_t capacity,
                       size_t max_msg);
/* Unlink and close q (NULL is fine). */
void drop_queue(pipc_queue *q);

struct msg {
  uint32_t producer, seq, check, n; /* n payload bytes follow */
  unsigned char payload[48];
};

/* Fill m as message seq of producer (payload and length derived from
   both); returns the bytes to send. */
size_t msg_fill(struct msg *m, uint32_t producer, uint32_t seq);
/* 0 if m[len] is a whole, intact message */
int msg_bad(const struct msg *m, size_t len);

#endif
