/* net/net_none.c - the transport of a build without nng: remote names are
 * recognised (src/remote.c) and refused with PIPC_ENOTSUP, and
 * pipc_remote_support() says how to build them in. */
#include "pipc_core.h"

#ifdef PIPC_FAULT_INJECTION
#include "pipc_testing.h"
volatile uint32_t pipc__remote_drop_replies; /* no server here to use them */
volatile uint32_t pipc__remote_sessions_max;
volatile uint32_t pipc__remote_slice_ms;
volatile uint32_t pipc__remote_late_gone;
volatile uint32_t pipc__remote_pipe_grace_ms;
volatile uint32_t pipc__remote_client_socks;
volatile uint32_t pipc__remote_client_deaf;
#endif

const char *pipc_remote_support(void) {
  return "pipc was built without nng: install it (Debian: apt-get install libnng-dev) "
         "and configure again (cmake -DPIPC_WITH_NNG=ON)";
}

int pipc__rq_open(const char *url, const pipc_remote_opts *o, pipc__rq **out) {
  char nurl[256], name[PIPC_NAME_MAX + 1];
  int kind;
  *out = NULL;
  if (pipc__remote_split(url, nurl, sizeof nurl, name, &kind) != PIPC_OK) return PIPC_EINVAL;
  if (o != NULL && (o->connect_timeout_ms < 0 || o->link_timeout_ms < 0)) return PIPC_EINVAL;
  return PIPC_ENOTSUP;
}

/* Never reached: no remote handle exists in this build. */
int pipc__rq_put(pipc__rq *r, const void *msg, size_t len, int timeout_ms) {
  (void)r, (void)msg, (void)len, (void)timeout_ms;
  return PIPC_ENOTSUP;
}
int pipc__rq_get(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms) {
  (void)r, (void)buf, (void)cap, (void)out_len, (void)timeout_ms;
  return PIPC_ENOTSUP;
}
int pipc__rq_stat(pipc__rq *r, pipc_queue_stat_t *out) {
  (void)r, (void)out;
  return PIPC_ENOTSUP;
}
int pipc__rq_shutdown(pipc__rq *r) {
  (void)r;
  return PIPC_ENOTSUP;
}
int pipc__rq_open_as(const char *url, const pipc_remote_opts *o, const unsigned char id[16],
                     pipc__rq **out) {
  (void)id;
  return pipc__rq_open(url, o, out);
}
int pipc__rq_put_at(pipc__rq *r, const void *msg, size_t len, uint64_t pos, uint64_t *sent,
                    int timeout_ms) {
  (void)r, (void)msg, (void)len, (void)pos, (void)sent, (void)timeout_ms;
  return PIPC_ENOTSUP;
}
int pipc__net_thread_start(void (*fn)(void *), void *arg, pipc__net_thread **out) {
  (void)fn, (void)arg;
  *out = NULL;
  return PIPC_ENOTSUP; /* only the bridge asks, and it needs nng anyway */
}
void pipc__net_thread_join(pipc__net_thread *t) { (void)t; }
const char *pipc__rq_name(const pipc__rq *r) {
  (void)r;
  return NULL;
}
void pipc__rq_close(pipc__rq *r) { (void)r; }

int pipc__rp_connect(const char *url, const pipc_remote_opts *o, int timeout_ms, pipc__rq **out) {
  char nurl[256], name[PIPC_NAME_MAX + 1];
  int kind;
  *out = NULL;
  if (pipc__remote_split(url, nurl, sizeof nurl, name, &kind) != PIPC_OK) return PIPC_EINVAL;
  if (timeout_ms < PIPC_FOREVER || (o != NULL && (o->connect_timeout_ms < 0 ||
                                                  o->link_timeout_ms < 0 || o->flags != 0)))
    return PIPC_EINVAL;
  return PIPC_ENOTSUP;
}
/* Never reached: no remote end exists in this build. */
int pipc__rp_send(pipc__rq *r, const void *msg, size_t len, int timeout_ms) {
  (void)r, (void)msg, (void)len, (void)timeout_ms;
  return PIPC_ENOTSUP;
}
int pipc__rp_recv(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms) {
  (void)r, (void)buf, (void)cap, (void)out_len, (void)timeout_ms;
  return PIPC_ENOTSUP;
}
int pipc__rp_poll(pipc__rq *r, int timeout_ms) {
  (void)r, (void)timeout_ms;
  return PIPC_ENOTSUP;
}

int pipc_serve_start(const char *url, const pipc_serve_opts *opts, pipc_server **out) {
  int kind;
  if (out != NULL) *out = NULL;
  if (out == NULL || opts == NULL || pipc__remote_listen_url(url, &kind) != PIPC_OK)
    return PIPC_EINVAL;
  return PIPC_ENOTSUP;
}
int pipc_serve_port(const pipc_server *s, int *port) {
  (void)s;
  if (port) *port = -1;
  return PIPC_EINVAL; /* no server exists in this build */
}
int pipc_serve_stop(pipc_server *s) {
  (void)s;
  return PIPC_EINVAL;
}
