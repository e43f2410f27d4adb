/* remote_bench.c - pipc's remote queues (pipc_serve_start + a remote
 * handle) against raw nng on the same link, in the same run: push/pull
 * for one-way throughput, req/rep for the round trip.  The link is TCP
 * over 127.0.0.1 in this process (server and client threads); every
 * message is checked.  Built only with nng (PIPC_BENCH_NNG). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime (the build is strict C11) */
#endif
#include "remote_bench.h"

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double rb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* median and p99 of v[n] (sorted here), microseconds */
static void rb_stats(double *v, long n, double *med, double *p99) {
  qsort(v, (size_t)n, sizeof *v, cmp_d);
  *med = v[n / 2] * 1e6;
  *p99 = v[(long)(n * 0.99)] * 1e6;
}

static int listen_port(nng_socket s, const char *url, int *port) {
  nng_listener l;
  if (nng_listen(s, url, &l, 0) != 0) return -1;
  return nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, port);
}

/* ---- raw nng push/pull: msgs/s ---- */

typedef struct push_arg {
  nng_socket s;
  size_t size;
  long n;
  int bad;
} push_arg;

static void pusher(void *a) {
  push_arg *p = (push_arg *)a;
  unsigned char *buf = (unsigned char *)calloc(1, p->size);
  long i;
  for (i = 0; i < p->n && buf; i++) {
    memcpy(buf, &i, sizeof i);
    if (nng_send(p->s, buf, p->size, 0) != 0) p->bad++;
  }
  free(buf);
}

static double raw_pushpull(size_t size, long n) {
  nng_socket pull, push;
  nng_thread *t;
  push_arg a;
  char url[64];
  int port;
  long i;
  double t0, t1;
  if (nng_pull0_open(&pull) != 0 || nng_push0_open(&push) != 0) return 0;
  if (listen_port(pull, "tcp://127.0.0.1:0", &port) != 0) return 0;
  snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
  if (nng_dial(push, url, NULL, 0) != 0) return 0;
  a.s = push, a.size = size, a.n = n, a.bad = 0;
  t0 = rb_now();
  nng_thread_create(&t, pusher, &a);
  for (i = 0; i < n; i++) {
    nng_msg *m;
    long v;
    if (nng_recvmsg(pull, &m, 0) != 0) break;
    memcpy(&v, nng_msg_body(m), sizeof v);
    if (v != i || nng_msg_len(m) != size) a.bad++;
    nng_msg_free(m);
  }
  t1 = rb_now();
  nng_thread_destroy(t);
  nng_close(push);
  nng_close(pull);
  return a.bad || i < n ? 0 : (double)n / (t1 - t0);
}

/* ---- raw nng req/rep: round trip ---- */

static void echo(void *a) {
  nng_socket s = *(nng_socket *)a;
  nng_msg *m;
  while (nng_recvmsg(s, &m, 0) == 0)
    if (nng_sendmsg(s, m, 0) != 0) nng_msg_free(m);
}

static int raw_reqrep(size_t size, long n, double *med, double *p99) {
  nng_socket rep, req;
  nng_thread *t;
  char url[64];
  int port;
  long i;
  double *v = (double *)malloc((size_t)n * sizeof *v);
  unsigned char *buf = (unsigned char *)calloc(1, size);
  if (v == NULL || buf == NULL || nng_rep0_open(&rep) != 0 || nng_req0_open(&req) != 0) return -1;
  if (listen_port(rep, "tcp://127.0.0.1:0", &port) != 0) return -1;
  snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
  if (nng_dial(req, url, NULL, 0) != 0) return -1;
  nng_thread_create(&t, echo, &rep);
  for (i = 0; i < n; i++) {
    void *r;
    size_t rl;
    double t0 = rb_now();
    memcpy(buf, &i, sizeof i);
    if (nng_send(req, buf, size, 0) != 0 || nng_recv(req, &r, &rl, NNG_FLAG_ALLOC) != 0) break;
    v[i] = rb_now() - t0;
    if (rl != size || memcmp(r, &i, sizeof i) != 0) i = n + 1;
    nng_free(r, rl);
  }
  nng_close(req);
  nng_close(rep);
  nng_thread_destroy(t);
  if (i == n) rb_stats(v, n, med, p99);
  free(v);
  free(buf);
  return i == n ? 0 : -1;
}

/* ---- pipc: a served queue, a remote handle, a local drainer ---- */

typedef struct served_q {
  char name[64], url[160];
  pipc_queue *local;
  pipc_server *srv;
} served_q;

static int serve_q(served_q *s, size_t size) {
  pipc_serve_opts o;
  const char *names[1];
  int port;
  static unsigned seq;
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "bench-remote-%ld-%u", (long)clock(), seq++);
  if (pipc_queue_create(s->name, 4096, size, &s->local) != PIPC_OK) return -1;
  names[0] = s->name;
  memset(&o, 0, sizeof o);
  o.queues = names, o.nqueues = 1, o.allow_plain = 1;
  if (pipc_serve_start("tcp://127.0.0.1:0", &o, &s->srv) != PIPC_OK) return -1;
  pipc_serve_port(s->srv, &port);
  snprintf(s->url, sizeof s->url, "tcp://127.0.0.1:%d/%s", port, s->name);
  return 0;
}

static void unserve_q(served_q *s) {
  if (s->srv) pipc_serve_stop(s->srv);
  if (s->local) pipc_queue_close(s->local);
  pipc_queue_unlink(s->name);
}

typedef struct drain_arg {
  pipc_queue *q;
  size_t size;
  long n;
  int bad;
} drain_arg;

static void drainer(void *a) {
  drain_arg *d = (drain_arg *)a;
  unsigned char *buf = (unsigned char *)malloc(d->size);
  long i;
  size_t len;
  for (i = 0; i < d->n && buf; i++)
    if (pipc_queue_get(d->q, buf, d->size, &len, 30000) != PIPC_OK || len != d->size) d->bad++;
  free(buf);
}

typedef struct put_arg {
  pipc_queue *r;
  size_t size;
  long from, n;
  double *lat; /* per put, or NULL */
  int bad;
} put_arg;

static void putter(void *a) {
  put_arg *p = (put_arg *)a;
  unsigned char *buf = (unsigned char *)calloc(1, p->size);
  long i;
  for (i = 0; i < p->n && buf; i++) {
    long v = p->from + i;
    double t0 = p->lat ? rb_now() : 0;
    memcpy(buf, &v, sizeof v);
    if (pipc_queue_put(p->r, buf, p->size, 30000) != PIPC_OK) p->bad++;
    if (p->lat) p->lat[i] = rb_now() - t0;
  }
  free(buf);
}

/* n puts of `size` bytes by `threads` threads through one remote handle:
   msgs/s; with lat: each put's round trip (threads 1). */
static double pipc_puts(size_t size, long n, int threads, double *lat) {
  served_q s;
  pipc_queue *r = NULL;
  nng_thread *dt, *pt[16];
  drain_arg d;
  put_arg pa[16];
  double t0, t1;
  int k, bad = 0;
  if (serve_q(&s, size) != 0 || pipc_queue_open(s.url, &r) != PIPC_OK) {
    unserve_q(&s);
    return 0;
  }
  d.q = s.local, d.size = size, d.n = n, d.bad = 0;
  nng_thread_create(&dt, drainer, &d);
  t0 = rb_now();
  for (k = 0; k < threads; k++) {
    pa[k].r = r, pa[k].size = size, pa[k].from = n / threads * k;
    pa[k].n = k == threads - 1 ? n - pa[k].from : n / threads;
    pa[k].lat = lat, pa[k].bad = 0;
    nng_thread_create(&pt[k], putter, &pa[k]);
  }
  for (k = 0; k < threads; k++) {
    nng_thread_destroy(pt[k]);
    bad += pa[k].bad;
  }
  nng_thread_destroy(dt);
  t1 = rb_now();
  pipc_queue_close(r);
  unserve_q(&s);
  return bad || d.bad ? 0 : (double)n / (t1 - t0);
}

/* n remote gets of `size` bytes from a queue a local thread keeps full:
   each get's round trip. */
typedef struct fill_arg {
  pipc_queue *q;
  size_t size;
  long n;
} fill_arg;

static void filler(void *a) {
  fill_arg *f = (fill_arg *)a;
  unsigned char *buf = (unsigned char *)calloc(1, f->size);
  long i;
  for (i = 0; i < f->n && buf; i++) pipc_queue_put(f->q, buf, f->size, 30000);
  free(buf);
}

static int pipc_gets(size_t size, long n, double *med, double *p99) {
  served_q s;
  pipc_queue *r = NULL;
  nng_thread *ft;
  fill_arg f;
  long i;
  size_t len;
  int bad = 0;
  double *v = (double *)malloc((size_t)n * sizeof *v);
  unsigned char *buf = (unsigned char *)malloc(size);
  if (v == NULL || buf == NULL || serve_q(&s, size) != 0 ||
      pipc_queue_open(s.url, &r) != PIPC_OK) {
    free(v);
    free(buf);
    unserve_q(&s);
    return -1;
  }
  f.q = s.local, f.size = size, f.n = n;
  nng_thread_create(&ft, filler, &f);
  for (i = 0; i < n; i++) {
    double t0 = rb_now();
    if (pipc_queue_get(r, buf, size, &len, 30000) != PIPC_OK || len != size) bad++;
    v[i] = rb_now() - t0;
  }
  nng_thread_destroy(ft);
  pipc_queue_close(r);
  unserve_q(&s);
  if (!bad) rb_stats(v, n, med, p99);
  free(v);
  free(buf);
  return bad ? -1 : 0;
}

static double median3(double a, double b, double c) {
  if (a > b) { double t = a; a = b; b = t; }
  if (b > c) { double t = b; b = c; c = t; }
  return a > b ? a : b;
}

/* the figures, for the JSON written after every table */
static double pp[2], p1[2], p16[2], rr[2][2], pr[2][2], gr[2][2];
static int ran;

void remote_bench(int quick) {
  static const size_t sizes[2] = {64, 1024};
  long n = quick ? 20000 : 100000, rn = quick ? 5000 : 20000;
  int si, rep;
  ran = 1;
  for (si = 0; si < 2; si++) {
    double a[3], b[3], c[3];
    for (rep = 0; rep < 3; rep++) { /* interleaved */
      a[rep] = raw_pushpull(sizes[si], n);
      b[rep] = pipc_puts(sizes[si], n / 4, 1, NULL);
      c[rep] = pipc_puts(sizes[si], n, 16, NULL);
    }
    pp[si] = median3(a[0], a[1], a[2]);
    p1[si] = median3(b[0], b[1], b[2]);
    p16[si] = median3(c[0], c[1], c[2]);
    if (raw_reqrep(sizes[si], rn, &rr[si][0], &rr[si][1]) != 0) rr[si][0] = rr[si][1] = 0;
    {
      double *lat = (double *)malloc((size_t)rn * sizeof *lat);
      pr[si][0] = pr[si][1] = 0;
      if (lat && pipc_puts(sizes[si], rn, 1, lat) > 0) rb_stats(lat, rn, &pr[si][0], &pr[si][1]);
      free(lat);
    }
    if (pipc_gets(sizes[si], rn, &gr[si][0], &gr[si][1]) != 0) gr[si][0] = gr[si][1] = 0;
  }
  printf("\nRemote queues (pipc serve over nng %s) against raw nng on the same link: TCP over "
         "127.0.0.1, server and client threads of one process, every message checked; median of "
         "3 interleaved runs. Goals (issue 18): pipelined remote put >= 0.5x push/pull; remote "
         "round trip <= 1.3x req/rep.\n\n",
         nng_version());
  printf("| one way, msgs/s | 64 B | 1024 B | / push-pull 64 B | goal |\n|---|---|---|---|---|\n");
  printf("| raw nng push/pull | %.0f | %.0f | 1.00 | |\n", pp[0], pp[1]);
  printf("| pipc remote put, 1 thread (1 in flight) | %.0f | %.0f | %.2f | |\n", p1[0], p1[1],
         pp[0] > 0 ? p1[0] / pp[0] : 0);
  printf("| pipc remote put, 16 threads (16 in flight) | %.0f | %.0f | %.2f | >= 0.5: %s |\n",
         p16[0], p16[1], pp[0] > 0 ? p16[0] / pp[0] : 0,
         pp[0] > 0 && p16[0] / pp[0] >= 0.5 ? "met" : "missed");
  printf("\n| round trip, us, median (p99) | 64 B | 1024 B | / req-rep 64 B | goal |\n"
         "|---|---|---|---|---|\n");
  printf("| raw nng req/rep | %.1f (%.1f) | %.1f (%.1f) | 1.00 | |\n", rr[0][0], rr[0][1], rr[1][0],
         rr[1][1]);
  printf("| pipc remote put | %.1f (%.1f) | %.1f (%.1f) | %.2f | <= 1.3: %s |\n", pr[0][0],
         pr[0][1], pr[1][0], pr[1][1], rr[0][0] > 0 ? pr[0][0] / rr[0][0] : 0,
         rr[0][0] > 0 && pr[0][0] / rr[0][0] <= 1.3 ? "met" : "missed");
  printf("| pipc remote get | %.1f (%.1f) | %.1f (%.1f) | %.2f | <= 1.3: %s |\n", gr[0][0],
         gr[0][1], gr[1][0], gr[1][1], rr[0][0] > 0 ? gr[0][0] / rr[0][0] : 0,
         rr[0][0] > 0 && gr[0][0] / rr[0][0] <= 1.3 ? "met" : "missed");
}

void remote_bench_json(FILE *js) {
  if (ran) {
    fprintf(js, ", \"remote\": {\"link\": \"tcp 127.0.0.1\", \"pushpull_msgs_per_s\": [%.0f, %.0f], "
                "\"put_1_msgs_per_s\": [%.0f, %.0f], \"put_16_msgs_per_s\": [%.0f, %.0f], "
                "\"reqrep_us\": [%.2f, %.2f], \"put_us\": [%.2f, %.2f], \"get_us\": [%.2f, %.2f]}",
            pp[0], pp[1], p1[0], p1[1], p16[0], p16[1], rr[0][0], rr[1][0], pr[0][0], pr[1][0],
            gr[0][0], gr[1][0]);
  }
}
