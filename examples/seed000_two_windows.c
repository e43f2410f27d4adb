/* seed000_two_windows.c - C twin of seed 000's two-window demo.
 *
 * Python: two PySimpleGUI windows, a main process and a child.  The main
 * window has a text box and three buttons - send the text by Queue, write it
 * to a memory-mapped file, send it by Pipe; the child window has the three
 * matching buttons to receive it.  Here each window is a terminal (a tmux
 * pane, say) running one process, and each button is a key:
 *
 *   seed000_two_windows main [DIR [TAG]]    main window:  type a line of
 *                                           text, then
 *                                           q  send it by queue
 *                                           m  write it to the mapped file
 *                                           p  send it by pipe
 *                                           x  quit
 *   seed000_two_windows child [DIR [TAG]]   child window: r  receive by queue
 *                                           M  read the mapped file
 *                                           P  receive by pipe
 *                                           x  quit
 *   seed000_two_windows                     both, in one terminal: the main
 *                                           window drives a child through
 *                                           every button and checks what
 *                                           arrived (the ctest case)
 *
 * Start main first (it creates the queue and the pipe's listener), then
 * child, each in its own terminal: the two are unrelated processes that
 * find each other by name (seed000.queue, seed000.pipe; a TAG after DIR,
 * the same for both, is added to the names, so that two demos on one
 * machine - the tmux test run twice at once - never meet).  Input is read
 * a line at a time: a line of text, then a line holding just the key.  The
 * memory-mapped file, seed000.dat in DIR (default: the current directory),
 * is mapped with pipc_shm_map_file where the seed maps test.dat with mmap;
 * the queue and the pipe are pipc too, so the program is the same on every
 * platform.
 */
#include <string.h>

#include "example_util.h"

#define TEXT_MAX 512

/* The names the two windows find each other by; the scripted run adds its
   pid, so that it never meets a demo running by hand. */
static char QUEUE_NAME[64] = "seed000.queue", PIPE_NAME[64] = "seed000.pipe";
static char data_path[1024];

static void name_suffix(const char *suffix) {
  snprintf(QUEUE_NAME, sizeof QUEUE_NAME, "seed000.queue.%s", suffix);
  snprintf(PIPE_NAME, sizeof PIPE_NAME, "seed000.pipe.%s", suffix);
}

/* ---- the memory-mapped file (the seed's test.dat) ----
   The seed writes the text as the whole file and maps all of it to read.
   A mapping never makes a file shorter, so here the file keeps TEXT_MAX
   bytes and the text in it ends at a NUL. */

/* Write text to the file, through a mapping of it (made if missing). */
static int mapped_write(const char *text) {
  pipc_shm *m;
  int rc = pipc_shm_map_file(data_path, TEXT_MAX, PIPC_MAP_CREATE, &m);
  if (rc != PIPC_OK) return rc;
  memcpy(pipc_shm_addr(m), text, strlen(text) + 1); /* text < TEXT_MAX */
  return pipc_shm_close(m);
}

/* Read the text through a mapping of the whole file - size 0, the seed's
   mmap.mmap(f.fileno(), 0) - into out[cap].  PIPC_ENOENT before the main
   window first wrote it. */
static int mapped_read(char *out, size_t cap) {
  pipc_shm *m;
  const char *p;
  size_t n;
  int rc = pipc_shm_map_file(data_path, 0, PIPC_MAP_READONLY, &m);
  out[0] = 0;
  if (rc != PIPC_OK) return rc;
  p = (const char *)pipc_shm_addr(m);
  for (n = 0; n < pipc_shm_size(m) && n < cap - 1 && p[n] != 0; n++) out[n] = p[n];
  out[n] = 0;
  return pipc_shm_close(m);
}

/* ---- input: one line at a time ---- */

static int read_line(char *buf, size_t cap) {
  size_t n;
  if (fgets(buf, (int)cap, stdin) == NULL) return -1;
  n = strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
  return 0;
}

/* ---- the main window ---- */

static int main_window(void) {
  pipc_queue *q;
  pipc_listener *l;
  pipc_pipe *conn;
  char text[TEXT_MAX] = "", line[TEXT_MAX];
  int rc;
  pipc_queue_unlink(QUEUE_NAME); /* a previous run's, if it was killed */
  CHECK(pipc_queue_create(QUEUE_NAME, 16, TEXT_MAX, &q));
  CHECK(pipc_listener_create(PIPE_NAME, &l));
  printf("[main window] waiting for the child window (seed000_two_windows child)...\n");
  CHECK(pipc_listener_accept(l, &conn, PIPC_FOREVER));
  printf("[main window] child connected. Type a line of text, then a key:\n"
         "  q send by queue, m write to the memory-mapped file, p send by pipe, x quit\n");
  while (read_line(line, sizeof line) == 0) {
    if (strcmp(line, "x") == 0) break;
    if (strcmp(line, "q") == 0) {
      CHECK(pipc_queue_put(q, text, strlen(text), PIPC_FOREVER));
      printf("[main window] sent by queue: %s\n", text);
    } else if (strcmp(line, "m") == 0) {
      if ((rc = mapped_write(text)) != PIPC_OK) {
        fprintf(stderr, "[main window] cannot write %s: %s\n", data_path, pipc_strerror(rc));
        return 1;
      }
      printf("[main window] written to memory: %s\n", text);
    } else if (strcmp(line, "p") == 0) {
      CHECK(pipc_pipe_send(conn, text, strlen(text), PIPC_FOREVER));
      printf("[main window] sent by pipe: %s\n", text);
    } else {
      snprintf(text, sizeof text, "%s", line);
      printf("[main window] text: %s\n", text);
    }
  }
  printf("[main window] quit\n");
  pipc_pipe_close(conn);
  pipc_listener_close(l);
  pipc_queue_unlink(QUEUE_NAME);
  pipc_queue_close(q);
  return 0;
}

/* ---- the child window ---- */

static int child_window(void) {
  pipc_queue *q;
  pipc_pipe *conn;
  char line[TEXT_MAX], got[TEXT_MAX + 1];
  size_t len;
  int rc;
  printf("[child window] connecting to the main window...\n");
  CHECK(pipc_pipe_connect(PIPE_NAME, &conn, 30000));
  CHECK(pipc_queue_open(QUEUE_NAME, &q));
  printf("[child window] connected. Keys: r receive by queue, M read the memory-mapped file, "
         "P receive by pipe, x quit\n");
  while (read_line(line, sizeof line) == 0) {
    if (strcmp(line, "x") == 0) break;
    if (strcmp(line, "r") == 0) {
      rc = pipc_queue_get(q, got, TEXT_MAX, &len, 5000);
      if (rc == PIPC_OK) {
        got[len] = 0;
        printf("[child window] by queue: %s\n", got);
      } else {
        printf("[child window] by queue: nothing (%s)\n", pipc_strerror(rc));
      }
    } else if (strcmp(line, "M") == 0) {
      rc = mapped_read(got, sizeof got);
      if (rc == PIPC_OK) printf("[child window] from memory: %s\n", got);
      else printf("[child window] from memory: nothing yet (%s)\n", pipc_strerror(rc));
    } else if (strcmp(line, "P") == 0) {
      rc = pipc_pipe_recv(conn, got, TEXT_MAX, &len, 5000);
      if (rc == PIPC_OK) {
        got[len] = 0;
        printf("[child window] by pipe: %s\n", got);
      } else {
        printf("[child window] by pipe: nothing (%s)\n", pipc_strerror(rc));
      }
    }
  }
  printf("[child window] quit\n");
  pipc_pipe_close(conn);
  pipc_queue_close(q);
  return 0;
}

/* ---- both, scripted: the ctest case ---- */

/* The child side of the scripted run: receives each way, answers what it
   got on the pipe so the main side can check it. */
static int scripted_child(void) {
  pipc_queue *q;
  pipc_pipe *conn;
  char got[TEXT_MAX + 1], reply[TEXT_MAX + 64];
  size_t len;
  CHECK(pipc_pipe_connect(PIPE_NAME, &conn, 30000));
  CHECK(pipc_queue_open(QUEUE_NAME, &q));
  CHECK(pipc_queue_get(q, got, TEXT_MAX, &len, 30000)); /* the "r" button */
  got[len] = 0;
  snprintf(reply, sizeof reply, "queue:%s", got);
  CHECK(pipc_pipe_send(conn, reply, strlen(reply), 30000));
  CHECK(pipc_pipe_recv(conn, got, TEXT_MAX, &len, 30000)); /* "now read memory" */
  CHECK(mapped_read(got, sizeof got));                      /* the "M" button */
  snprintf(reply, sizeof reply, "memory:%s", got);
  CHECK(pipc_pipe_send(conn, reply, strlen(reply), 30000));
  CHECK(pipc_pipe_recv(conn, got, TEXT_MAX, &len, 30000)); /* the "P" button */
  got[len] = 0;
  snprintf(reply, sizeof reply, "pipe:%s", got);
  CHECK(pipc_pipe_send(conn, reply, strlen(reply), 30000));
  pipc_pipe_close(conn);
  pipc_queue_close(q);
  return 0;
}

static int expect_reply(pipc_pipe *conn, const char *want) {
  char got[TEXT_MAX + 64];
  size_t len;
  CHECK(pipc_pipe_recv(conn, got, sizeof got - 1, &len, 30000));
  got[len] = 0;
  printf("[main window] the child window shows: %s\n", got);
  return strcmp(got, want) == 0 ? 0 : 1;
}

static int scripted(const char *dir) {
  pipc_queue *q;
  pipc_listener *l;
  pipc_pipe *conn;
  pipc_process *child;
  int bad = 0;
  char suffix[32];
  snprintf(suffix, sizeof suffix, "%ld", pipc_self_pid());
  name_suffix(suffix);
  CHECK(pipc_queue_create(QUEUE_NAME, 16, TEXT_MAX, &q));
  CHECK(pipc_listener_create(PIPE_NAME, &l));
  child = spawn_self("scripted-child", dir, suffix);
  CHECK(pipc_listener_accept(l, &conn, 30000));
  CHECK(pipc_queue_put(q, "hello by queue", 14, PIPC_FOREVER)); /* q */
  bad |= expect_reply(conn, "queue:hello by queue");
  CHECK(mapped_write("hello by memory")); /* m */
  CHECK(pipc_pipe_send(conn, "read it", 7, PIPC_FOREVER));
  bad |= expect_reply(conn, "memory:hello by memory");
  CHECK(pipc_pipe_send(conn, "hello by pipe", 13, PIPC_FOREVER)); /* p */
  bad |= expect_reply(conn, "pipe:hello by pipe");
  join(child);
  pipc_pipe_close(conn);
  pipc_listener_close(l);
  pipc_queue_unlink(QUEUE_NAME);
  pipc_queue_close(q);
  remove(data_path);
  printf(bad ? "seed000: FAILED\n" : "seed000: all three ways arrived\n");
  return bad;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  const char *dir = argc > 2 ? argv[2] : ".";
  setvbuf(stdout, NULL, _IONBF, 0);
  snprintf(data_path, sizeof data_path, "%s/seed000.dat", dir);
  if ((strcmp(mode, "main") == 0 || strcmp(mode, "child") == 0) && argc > 3)
    name_suffix(argv[3]);
  if (strcmp(mode, "main") == 0) return main_window();
  if (strcmp(mode, "child") == 0) return child_window();
  if (strcmp(mode, "scripted-child") == 0) {
    if (argc < 4) return 2;
    name_suffix(argv[3]);
    return scripted_child();
  }
  if (argc > 1 && strcmp(mode, "scripted") != 0) {
    fprintf(stderr, "usage: seed000_two_windows [main|child [DIR [TAG]]]\n");
    return 2;
  }
  return scripted(dir);
}
