/* process.c - pipc_process_* and pipc_stream_*: argument checks, the
   child's environment built from this process's and the changes asked
   for, the remembered exit; the backend starts, waits for, signals and
   kills, and moves the bytes of the streams. */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

struct pipc_process {
  pipc_os_process *os;
  int reaped;
  pipc_exit how;
};

struct pipc_stream {
  pipc_os_stream *os;
  int writes; /* this process writes it (a child's stdin) */
};

void pipc__strv_free(char **v) {
  size_t i;
  if (v == NULL) return;
  for (i = 0; v[i]; i++) free(v[i]);
  free(v);
}

static int start(const char *const argv[], pipc_os_spawn *how, pipc_process **out) {
  pipc_process *p;
  int rc;
  p = (pipc_process *)calloc(1, sizeof(*p));
  if (p == NULL) return PIPC_ENOMEM;
  rc = pipc_os_process_spawn(argv, how, &p->os);
  if (rc != PIPC_OK) {
    free(p);
    return rc;
  }
  *out = p;
  return PIPC_OK;
}

/* An exported end is inherited by one plain spawn - the next - and passed
   by each spawn_ex that lists it; no other child gets it. */
static int start_handing(const char *const argv[], pipc_os_spawn *how, pipc_pipe *const *pass,
                         size_t npass, pipc_process **out) {
  uint64_t before = pipc__pipe_exports();
  int rc = start(argv, how, out);
  if (how == NULL || npass > 0)
    pipc__pipe_handed(how ? pass : NULL, how ? npass : 0, rc == PIPC_OK, before);
  return rc;
}

int pipc_process_spawn(const char *const argv[], pipc_process **out) {
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') return PIPC_EINVAL;
  return start_handing(argv, NULL, NULL, 0, out);
}

/* The length of entry e's name: up to its '=' (a leading '=' is part of
   the name - Windows keeps "=C:" entries - but never the whole of it). */
static size_t env_name_len(const char *e) {
  const char *eq = e[0] ? strchr(e + 1, '=') : NULL; /* "" is legal in environ */
  return eq ? (size_t)(eq - e) : strlen(e);
}

/* The child's environment: this process's changed by `changes` ("N=v"
   sets N, "N" removes it), or with `exact` the "N=v" entries alone (a
   later entry for a name replaces an earlier one).  PIPC_OK with *out a
   new list, or PIPC_ENOMEM. */
static int env_build(const char *const *changes, int exact, char ***out) {
  char **base = NULL, **env;
  size_t nb = 0, nc = 0, n = 0, i, j;
  *out = NULL;
  if (!exact) {
    base = pipc_os_environ_copy();
    if (base == NULL) return PIPC_ENOMEM;
    while (base[nb]) nb++;
  }
  while (changes[nc]) nc++;
  env = (char **)calloc(nb + nc + 1, sizeof(char *));
  if (env == NULL) {
    pipc__strv_free(base);
    return PIPC_ENOMEM;
  }
  for (i = 0; i < nb; i++) env[n++] = base[i]; /* taken over */
  free(base);
  for (i = 0; i < nc; i++) {
    const char *c = changes[i];
    size_t cl = env_name_len(c);
    int set = c[cl] == '=';
    size_t k = 0;
    for (j = 0; j < n; j++) { /* drop every entry of that name */
      if (pipc_os_env_name_eq(env[j], env_name_len(env[j]), c, cl))
        free(env[j]);
      else
        env[k++] = env[j];
    }
    n = k;
    env[n] = NULL;
    if (set) {
      size_t len = strlen(c) + 1;
      char *copy = (char *)malloc(len);
      if (copy == NULL) {
        pipc__strv_free(env);
        return PIPC_ENOMEM;
      }
      memcpy(copy, c, len);
      env[n++] = copy;
    }
  }
  env[n] = NULL;
  *out = env;
  return PIPC_OK;
}

static int check_opts(const pipc_spawn_opts *o) {
  size_t i;
  if (o->flags & ~(PIPC_SPAWN_NEW_GROUP | PIPC_SPAWN_DIE_WITH_HOST)) return PIPC_EINVAL;
  if (o->cwd && o->cwd[0] == '\0') return PIPC_EINVAL;
  if (o->env) {
    for (i = 0; o->env[i]; i++) {
      const char *e = o->env[i];
      if (e[0] == '\0' || e[0] == '=') return PIPC_EINVAL;
      if (o->env_exact && strchr(e, '=') == NULL) return PIPC_EINVAL;
    }
  } else if (o->env_exact) {
    return PIPC_EINVAL; /* an exact environment needs its list (may be empty) */
  }
  for (i = 0; i < 3; i++) {
    const pipc_stdio *io = &o->io[i];
    switch (io->mode) {
    case PIPC_STDIO_INHERIT:
    case PIPC_STDIO_NULL:
      break;
    case PIPC_STDIO_FILE:
      if (io->path == NULL || io->path[0] == '\0') return PIPC_EINVAL;
      break;
    case PIPC_STDIO_STREAM:
      if (io->stream == NULL) return PIPC_EINVAL;
      if ((i > 0 && o->io[0].mode == PIPC_STDIO_STREAM && o->io[0].stream == io->stream) ||
          (i > 1 && o->io[1].mode == PIPC_STDIO_STREAM && o->io[1].stream == io->stream))
        return PIPC_EINVAL; /* one place for two streams: one would be lost */
      break;
    case PIPC_STDIO_STDOUT:
      if (i != 2) return PIPC_EINVAL;
      break;
    default:
      return PIPC_EINVAL;
    }
  }
  if (o->npass > 0 && o->pass == NULL) return PIPC_EINVAL;
  for (i = 0; i < o->npass; i++)
    if (o->pass[i] == NULL || !pipc__pipe_exported(o->pass[i])) return PIPC_EINVAL;
  return PIPC_OK;
}

int pipc_process_spawn_ex(const char *const argv[], const pipc_spawn_opts *opts,
                          pipc_process **out) {
  pipc_os_spawn how;
  pipc_os_pipe **pass = NULL;
  pipc_stream *streams[3] = {NULL, NULL, NULL};
  size_t i;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') return PIPC_EINVAL;
  if (opts == NULL) return start_handing(argv, NULL, NULL, 0, out);
  if ((rc = check_opts(opts)) != PIPC_OK) return rc;
  memset(&how, 0, sizeof how);
  how.cwd = opts->cwd;
  how.io = opts->io;
  how.flags = opts->flags;
  if (opts->env && (rc = env_build(opts->env, opts->env_exact, &how.env)) != PIPC_OK)
    return rc;
  rc = PIPC_ENOMEM;
  if (opts->npass > 0) {
    pass = (pipc_os_pipe **)calloc(opts->npass, sizeof(*pass));
    if (pass == NULL) goto done;
    for (i = 0; i < opts->npass; i++) pass[i] = pipc__pipe_os(opts->pass[i]);
  }
  how.pass = pass;
  how.npass = opts->npass;
  for (i = 0; i < 3; i++)
    if (opts->io[i].mode == PIPC_STDIO_STREAM &&
        (streams[i] = (pipc_stream *)calloc(1, sizeof(pipc_stream))) == NULL)
      goto done;
  rc = start_handing(argv, &how, opts->pass, opts->npass, out);
  if (rc != PIPC_OK) goto done;
  for (i = 0; i < 3; i++) {
    if (streams[i] == NULL) continue;
    streams[i]->os = how.streams[i];
    streams[i]->writes = i == 0;
    *opts->io[i].stream = streams[i];
    streams[i] = NULL;
  }
done:
  for (i = 0; i < 3; i++) free(streams[i]);
  free(pass);
  pipc__strv_free(how.env);
  return rc;
}

int pipc_process_wait_ex(pipc_process *p, int timeout_ms, pipc_exit *out) {
  int64_t deadline;
  int rc;
  if (p == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (!p->reaped) {
    rc = pipc_os_process_wait(p->os, deadline, &p->how);
    if (rc == PIPC_ETIMEDOUT) return PIPC__EXPIRED(timeout_ms);
    if (rc != PIPC_OK) return rc;
    p->reaped = 1;
  }
  if (out) *out = p->how;
  return PIPC_OK;
}

int pipc_process_wait(pipc_process *p, int timeout_ms, int *exit_code) {
  pipc_exit how;
  int rc = pipc_process_wait_ex(p, timeout_ms, &how);
  if (rc == PIPC_OK && exit_code)
    *exit_code = how.reason == PIPC_EXIT_SIGNAL ? -how.signal : how.code;
  return rc;
}

int pipc_process_kill(pipc_process *p) {
  if (p == NULL) return PIPC_EINVAL;
  if (p->reaped) return PIPC_OK;
  return pipc_os_process_kill(p->os);
}

int pipc_process_terminate(pipc_process *p) {
  if (p == NULL) return PIPC_EINVAL;
  if (p->reaped) return PIPC_OK;
  return pipc_os_process_terminate(p->os);
}

int pipc_process_alive(pipc_process *p) {
  int rc;
  if (p == NULL) return PIPC_EINVAL;
  rc = pipc__process_ended(p);
  return rc < 0 ? rc : !rc;
}

int pipc_process_handle(pipc_process *p, intptr_t *out) {
  if (out) *out = -1;
  if (p == NULL || out == NULL) return PIPC_EINVAL;
  *out = pipc_os_process_wait_handle(p->os);
  return *out == -1 ? PIPC_ENOTSUP : PIPC_OK;
}

/* ---- streams ---- */

int pipc_stream_read(pipc_stream *s, void *buf, size_t cap, size_t *out_len, int timeout_ms) {
  int64_t deadline;
  int rc;
  if (s == NULL || buf == NULL || out_len == NULL || cap == 0 || s->writes) return PIPC_EINVAL;
  *out_len = 0;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  rc = pipc_os_stream_read(s->os, buf, cap, out_len, deadline);
  return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
}

int pipc_stream_write(pipc_stream *s, const void *buf, size_t len, size_t *written,
                      int timeout_ms) {
  int64_t deadline;
  size_t done = 0;
  int rc;
  if (written) *written = 0;
  if (s == NULL || (buf == NULL && len > 0) || !s->writes) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (len == 0) return PIPC_OK;
  rc = pipc_os_stream_write(s->os, buf, len, &done, deadline);
  if (written) *written = done;
  return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
}

int pipc_stream_close(pipc_stream *s) {
  if (s == NULL) return PIPC_EINVAL;
  pipc_os_stream_close(s->os);
  free(s);
  return PIPC_OK;
}

pipc_os_stream *pipc__stream_os(pipc_stream *s) { return s->os; }

int pipc__stream_writes(const pipc_stream *s) { return s->writes; }

long pipc_process_pid(const pipc_process *p) {
  return p ? pipc_os_process_pid(p->os) : -1;
}

void pipc_process_free(pipc_process *p) {
  if (p == NULL) return;
  pipc_os_process_free(p->os);
  free(p);
}

int pipc_self_exe(char *buf, size_t cap) {
  if (buf == NULL || cap == 0) return PIPC_EINVAL;
  return pipc_os_self_exe(buf, cap);
}

long pipc_self_pid(void) { return pipc_os_self_pid(); }

int pipc_stdout_binary(void) { return pipc_os_stdout_binary(); }

int pipc_stdin_binary(void) { return pipc_os_stdin_binary(); }

pipc_os_process *pipc__process_os(pipc_process *p) { return p->os; }

int pipc__process_ended(pipc_process *p) {
  return p->reaped ? 1 : pipc_os_process_ended(p->os);
}

int pipc__process_reaped(const pipc_process *p) { return p->reaped; }
