/* remote_bench.h - the remote-queue table of pipc-bench (remote_bench.c). */
#ifndef PIPC_REMOTE_BENCH_H
#define PIPC_REMOTE_BENCH_H
#include <stdio.h>
#include "pipc.h"
/* Measure and print the table. */
void remote_bench(int quick);
/* After it: append `, "remote": {...}` to the JSON object being written. */
void remote_bench_json(FILE *js);
#endif
