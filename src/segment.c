/* segment.c - typed segments: create, stamp, publish; open, wait, check. */
#include "pipc_core.h"

#include <string.h>

int pipc__seg_create(const char *name, size_t size, uint16_t kind,
                     uint32_t hdr_size, uint32_t abi, const pipc_os_attr *attr,
                     pipc_os_map *out) {
  pipc__seg_hdr *h;
  int rc = pipc_os_shm_create(name, size, attr, out);
  if (rc != PIPC_OK) return rc;
  h = (pipc__seg_hdr *)out->base;
  h->version = PIPC__SEG_VERSION;
  h->kind = kind;
  h->hdr_size = hdr_size;
  h->abi = abi;
  h->seg_size = (uint64_t)size;
  return PIPC_OK;
}

void pipc__seg_publish(pipc_os_map *m) {
  pipc__seg_hdr *h = (pipc__seg_hdr *)m->base;
  pipc__store32(&h->magic, PIPC__SEG_MAGIC); /* everything before it first */
}

void pipc__seg_abandon(const char *name, pipc_os_map *m) {
  pipc_os_shm_unmap(m);
  pipc_os_name_remove(name);
}

int pipc__seg_open(const char *name, uint16_t kind, uint32_t hdr_size,
                   uint32_t abi, size_t min_size, const pipc_os_attr *attr,
                   pipc_os_map *out) {
  int64_t give_up = pipc_os_now_ms() + PIPC__READY_WAIT_MS;
  pipc__seg_hdr *h;
  uint32_t magic;
  int rc;

  for (;;) {
    rc = pipc_os_shm_open(name, attr, out);
    if (rc == PIPC_OK) {
      if (out->size >= sizeof(pipc__seg_hdr)) {
        h = (pipc__seg_hdr *)out->base;
        while ((magic = pipc__load32(&h->magic)) == 0 &&
               pipc_os_now_ms() < give_up)
          pipc_os_sleep_ms(1);
        if (magic != 0) break;
      }
      pipc_os_shm_unmap(out);
      return PIPC_ECORRUPT; /* too small, or never published */
    }
    if (rc != PIPC_EAGAIN) return rc; /* EAGAIN: created, not sized yet */
    if (pipc_os_now_ms() >= give_up) return PIPC_ECORRUPT;
    pipc_os_sleep_ms(1);
  }

  /* Read each field once; the other side may be hostile. */
  {
    uint16_t version = h->version, k = h->kind;
    uint32_t hs = h->hdr_size, a = h->abi;
    uint64_t seg_size = h->seg_size;
    if (magic != PIPC__SEG_MAGIC)
      rc = PIPC_ECORRUPT;
    else if (version != PIPC__SEG_VERSION)
      rc = PIPC_ENOTSUP; /* a pipc segment of another layout version */
    else if (k != kind)
      rc = PIPC_EINVAL; /* a pipc object of another kind */
    else if (a != abi)
      rc = PIPC_ENOTSUP; /* made by a build with another backend scheme */
    else if (hs != hdr_size || seg_size < min_size ||
             seg_size > (uint64_t)out->size)
      rc = PIPC_ECORRUPT;
  }
  if (rc != PIPC_OK) pipc_os_shm_unmap(out);
  return rc;
}

int pipc__seg_unfinished_kind(const pipc_os_map *m) {
  const pipc__seg_hdr *h = (const pipc__seg_hdr *)m->base;
  uint32_t magic;
  uint16_t version, kind;
  if (m->size < sizeof(pipc__seg_hdr)) return 0;
  magic = pipc__load32((volatile uint32_t *)&h->magic);
  version = h->version;
  kind = h->kind;
  if (magic != 0 || version != PIPC__SEG_VERSION) return 0;
  return kind >= PIPC__KIND_SEM && kind <= PIPC__KIND_QUEUE ? kind : 0;
}

int pipc__seg_kind(const pipc_os_map *m) {
  const pipc__seg_hdr *h = (const pipc__seg_hdr *)m->base;
  uint32_t magic;
  uint16_t kind;
  if (m->size < sizeof(pipc__seg_hdr)) return 0;
  magic = pipc__load32((volatile uint32_t *)&h->magic);
  kind = h->kind;
  if (magic != PIPC__SEG_MAGIC) return 0;
  return kind >= PIPC__KIND_SEM && kind <= PIPC__KIND_QUEUE ? kind : 0;
}
