/* frame.c - Python's multiprocessing.connection framing, shared by every
   stream-based backend and by the frame-decoder fuzz target. */
#include "pipc_core.h"

size_t pipc__frame_header(unsigned char out[PIPC__FRAME_MAX_HEADER], uint64_t len) {
  int i;
  if (len <= 0x7fffffffu) {
    for (i = 0; i < 4; i++) out[i] = (unsigned char)(len >> (24 - 8 * i));
    return 4;
  }
  out[0] = out[1] = out[2] = out[3] = 0xff; /* -1 */
  for (i = 0; i < 8; i++) out[4 + i] = (unsigned char)(len >> (56 - 8 * i));
  return 12;
}

int pipc__frame_parse(const unsigned char *buf, size_t n, uint64_t *len) {
  uint32_t small;
  uint64_t big = 0;
  int i;
  if (n < 4) return 0;
  small = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
  if (small <= 0x7fffffffu) {
    *len = small;
    return 4;
  }
  if (small != 0xffffffffu) return PIPC_ECORRUPT; /* negative, not -1 */
  if (n < 12) return 0;
  for (i = 0; i < 8; i++) big = big << 8 | buf[4 + i];
  *len = big; /* Python uses this form only above 0x7fffffff; any is fine */
  return 12;
}
