/* seed000_gtk.c - seed 000's two PySimpleGUI windows as a GTK 3 program.
 *
 * Python: a main window with a text box and three buttons - send the text by
 * Queue, write it to a memory-mapped file, send it by Pipe - and a child
 * process's window with the three matching buttons to receive it.  Here the
 * same, two windows in two processes:
 *
 *   seed000_gtk [DIR]      the main window ("seed000 main window"); it makes
 *                          the Queue and the Pipe (as the seed's __main__
 *                          does), then starts this program again as the
 *                          child window ("seed000 child window") with the
 *                          queue's name and the exported pipe end.  The
 *                          memory-mapped file is DIR/seed000.dat (default:
 *                          the current directory), the seed's test.dat.
 *
 * Each window's GTK main loop reacts to the Queue and the Pipe through
 * pipc's OS handles (a pipc_watch): no call in a handler blocks, no timer
 * polls (unless pipc says an item has no handle to wait on - see
 * loop_watch_start).  The child window takes what arrives by queue or pipe off the
 * Queue / Pipe as it comes (its "queue: N waiting" / "pipe: N waiting"
 * labels count it) and each receive button shows the next one, as the
 * seed's que.get() / conn.recv() on a click would; the memory button maps
 * the file and reads it, as the seed's does (a file gives no signal).
 *
 * Closing the main window ends the child: the main window shuts the Queue
 * and closes its end of the Pipe, and the child window, seeing that through
 * its watch, closes.  Closing the child window is noticed by the main
 * window through the child's process handle (and the Pipe's end of stream)
 * in its own watch.
 *
 * For tests (tests/examples/seed000_gtk.sh), with PIPC_SEED000_GTK_TEST=1
 * both windows are placed side by side and print where each widget is on
 * the screen; with PIPC_SEED000_GTK_SHOT=FILE.png the main window saves a
 * screenshot of the whole screen to FILE.png on SIGUSR1.  Every action is
 * printed on standard output too.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gtk/gtk.h>

#include "pipc.h"

#define TEXT_MAX 4096 /* longest text sent, bytes */
#define QUEUE_CAP 16  /* messages the queue holds that the child has not taken */

static char data_path[1024];
static int test_mode;

/* ---- small helpers ---- */

static void say(const char *who, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* One line on standard output, in one write: the two windows share it, and
   a line written in pieces could be cut by the other's. */
static void say(const char *who, const char *fmt, ...) {
  char text[TEXT_MAX + 256];
  char *line;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  line = g_strdup_printf("[%s window] %s\n", who, text);
  fputs(line, stdout); /* unbuffered: one write */
  g_free(line);
}

/* A pipc call that failed: what, and pipc's name of the error. */
static void failed(const char *who, const char *what, int rc) {
  char os[32] = "";
  if (rc == PIPC_ESYS) snprintf(os, sizeof os, " (OS error %d)", pipc_last_os_error());
  fprintf(stderr, "[%s window] %s failed: %s%s\n", who, what, pipc_strerror(rc), os);
}

/* gtk_main_quit, when a main loop runs (a failure may come before it). */
static void quit_loop(void) {
  if (gtk_main_level() > 0) gtk_main_quit();
}

static GtkWidget *named(GtkWidget *w, const char *name) {
  gtk_widget_set_name(w, name);
  return w;
}

/* ---- the memory-mapped file (the seed's test.dat) ----
   As in the terminal twin (seed000_two_windows.c): the file keeps TEXT_MAX
   bytes (a mapping never shrinks a file) and the text in it ends at a NUL. */

static int mapped_write(const char *text) {
  pipc_shm *m;
  size_t n = strlen(text);
  int rc = pipc_shm_map_file(data_path, TEXT_MAX, PIPC_MAP_CREATE, &m);
  if (rc != PIPC_OK) return rc;
  if (n > TEXT_MAX - 1) n = TEXT_MAX - 1;
  memcpy(pipc_shm_addr(m), text, n);
  ((char *)pipc_shm_addr(m))[n] = 0;
  return pipc_shm_close(m);
}

/* The whole file mapped (size 0: the seed's mmap.mmap(f.fileno(), 0)). */
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

/* One message off a Queue or a Pipe without waiting, into a new
   NUL-terminated string (*out; g_free it): PIPC_OK, PIPC_EAGAIN (nothing
   there), PIPC_ECLOSED, or another error.  A message longer than expected
   is taken whole: get/recv say how much room it needs. */
static int take_one(pipc_waitable *it, char **out) {
  size_t cap = TEXT_MAX + 1, len = 0;
  int rc;
  for (;;) {
    char *buf = (char *)g_malloc(cap);
    if (it->kind == PIPC_WAIT_QUEUE) rc = pipc_queue_get(it->obj.queue, buf, cap - 1, &len, 0);
    else rc = pipc_pipe_recv(it->obj.pipe, buf, cap - 1, &len, 0);
    if (rc == PIPC_OK) {
      buf[len] = 0;
      *out = buf;
      return PIPC_OK;
    }
    g_free(buf);
    if (rc != PIPC_EMSGSIZE || len < cap - 1) return rc;
    cap = len + 1;
  }
}

/* ---- a pipc_watch in the GTK main loop ----
   The items' OS handles are GLib unix fd sources; when one fires (and once
   at the start) pipc_watch_rearm is called until it says nothing is ready,
   and each ready item is acted on with timeout-0 calls.  An item done with
   (a Pipe at its end, a child reaped) gets events 0 and the watch is made
   again without it: its handle would stay readable and, left in the loop,
   wake it forever. */

typedef struct loop_watch {
  const char *who;
  pipc_waitable items[4];
  size_t n;
  pipc_watch *w;
  guint sources[5];
  size_t nsources;
  guint timer; /* only where an item has no handle (see loop_watch_start) */
  void (*act)(pipc_waitable *it); /* act on a ready item; events 0 when done */
} loop_watch;

static void loop_watch_stop(loop_watch *lw) {
  size_t i;
  for (i = 0; i < lw->nsources; i++) g_source_remove(lw->sources[i]);
  lw->nsources = 0;
  if (lw->timer) g_source_remove(lw->timer);
  lw->timer = 0;
  if (lw->w) pipc_watch_close(lw->w);
  lw->w = NULL;
}

static gboolean on_handle(gint fd, GIOCondition cond, gpointer data);
static gboolean on_timer(gpointer data);

/* (Re)make the watch over the items whose events are not 0 and add its
   handles to the loop.  0, or a pipc error (reported). */
static int loop_watch_start(loop_watch *lw) {
  intptr_t h[G_N_ELEMENTS(lw->sources)];
  size_t i, j, count = 0;
  int rc;
  loop_watch_stop(lw);
  for (i = j = 0; i < lw->n; i++)
    if (lw->items[i].events != 0) lw->items[j++] = lw->items[i];
  lw->n = j;
  if (lw->n == 0) return 0; /* nothing left to watch */
  if ((rc = pipc_watch_create(lw->items, lw->n, &lw->w)) != PIPC_OK) {
    failed(lw->who, "pipc_watch_create", rc);
    return rc;
  }
  if ((rc = pipc_watch_handles(lw->w, h, G_N_ELEMENTS(h), &count)) != PIPC_OK) {
    failed(lw->who, "pipc_watch_handles", rc);
    loop_watch_stop(lw);
    return rc;
  }
  for (i = 0; i < count; i++)
    lw->sources[lw->nsources++] = g_unix_fd_add((gint)h[i], G_IO_IN, on_handle, lw);
  /* An item pipc has no handle for (a child whose end the OS gave no way
     to wait on) is seen only when the watch is rearmed: then - and only
     then - a timer rearms it too, as often as pipc_wait looks (250 ms). */
  for (i = 0; i < lw->n; i++) {
    intptr_t ih;
    if (pipc_watch_item_handle(lw->w, i, &ih) == PIPC_ENOTSUP) {
      lw->timer = g_timeout_add(250, on_timer, lw);
      break;
    }
  }
  return 0;
}

/* Rearm until nothing is ready, acting on each ready item. */
static void loop_watch_pump(loop_watch *lw) {
  int ready, again = 0;
  size_t i;
  if (lw->w == NULL) return;
  while ((ready = pipc_watch_rearm(lw->w)) > 0) {
    for (i = 0; i < lw->n; i++) {
      if (lw->items[i].revents == 0) continue;
      lw->act(&lw->items[i]);
      if (lw->items[i].events == 0) again = 1;
    }
  }
  if (ready < 0) {
    failed(lw->who, "pipc_watch_rearm", ready);
    loop_watch_stop(lw);
    quit_loop();
    return;
  }
  if (again) {
    if (loop_watch_start(lw) != 0) quit_loop();
    else loop_watch_pump(lw);
  }
}

static gboolean on_handle(gint fd, GIOCondition cond, gpointer data) {
  (void)fd;
  (void)cond;
  loop_watch_pump((loop_watch *)data);
  return G_SOURCE_CONTINUE; /* the source may be gone: GLib allows this */
}

static gboolean on_timer(gpointer data) {
  loop_watch_pump((loop_watch *)data);
  return G_SOURCE_CONTINUE;
}

/* ---- for tests: where the widgets are, a screenshot ---- */

static void print_geometry(const char *who, GtkWidget *top, GtkWidget *const *ws, size_t n) {
  gint ox = 0, oy = 0;
  size_t i;
  gdk_window_get_origin(gtk_widget_get_window(top), &ox, &oy);
  for (i = 0; i < n; i++) {
    gint x = 0, y = 0;
    GtkAllocation a;
    gtk_widget_translate_coordinates(ws[i], top, 0, 0, &x, &y);
    gtk_widget_get_allocation(ws[i], &a);
    say(who, "widget %s at %d %d size %d %d", gtk_widget_get_name(ws[i]), ox + x, oy + y,
        a.width, a.height);
  }
}

/* Test mode: a window's widgets, printed once it is first drawn. */
typedef struct geometry {
  const char *who;
  GtkWidget *ws[5];
} geometry;

static gboolean on_first_draw(GtkWidget *w, cairo_t *cr, gpointer data) {
  geometry *g = (geometry *)data;
  (void)cr;
  g_signal_handlers_disconnect_by_func(w, (gpointer)on_first_draw, data);
  print_geometry(g->who, w, g->ws, 5);
  return FALSE;
}

static void geometry_when_drawn(GtkWidget *win, geometry *g, const char *who, GtkWidget *a,
                                GtkWidget *b, GtkWidget *c, GtkWidget *d, GtkWidget *e) {
  g->who = who;
  g->ws[0] = a;
  g->ws[1] = b;
  g->ws[2] = c;
  g->ws[3] = d;
  g->ws[4] = e;
  g_signal_connect(win, "draw", G_CALLBACK(on_first_draw), g);
}

static gboolean on_screenshot_signal(gpointer data) {
  const char *path = (const char *)data;
  GdkWindow *root = gdk_get_default_root_window();
  GdkPixbuf *pb = gdk_pixbuf_get_from_window(root, 0, 0, gdk_window_get_width(root),
                                             gdk_window_get_height(root));
  GError *err = NULL;
  if (pb == NULL) {
    fprintf(stderr, "[main window] screenshot: cannot read the screen\n");
  } else if (!gdk_pixbuf_save(pb, path, "png", &err, NULL)) {
    fprintf(stderr, "[main window] screenshot: %s\n", err->message);
    g_error_free(err);
  } else {
    say("main", "screenshot saved: %s", path);
  }
  if (pb) g_object_unref(pb);
  return G_SOURCE_CONTINUE;
}

/* ---- the main window ---- */

static struct {
  GtkWidget *win, *text, *send_queue, *send_memory, *send_pipe, *quit, *status;
  pipc_queue *q;
  pipc_pipe *conn;   /* NULL once the child's end is gone */
  pipc_process *child;
  int child_code;    /* its exit code once reaped */
  int child_reaped;
  loop_watch lw;
} M;

static void main_status(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void main_status(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  gtk_label_set_text(GTK_LABEL(M.status), buf);
  say("main", "%s", buf);
}

/* The text box's text (g_free it). */
static char *main_text(void) {
  GtkTextBuffer *b = gtk_text_view_get_buffer(GTK_TEXT_VIEW(M.text));
  GtkTextIter s, e;
  gtk_text_buffer_get_bounds(b, &s, &e);
  return gtk_text_buffer_get_text(b, &s, &e, FALSE);
}

static void on_send_queue(GtkButton *b, gpointer data) {
  char *text = main_text();
  int rc = pipc_queue_put(M.q, text, strlen(text), 0); /* never waits */
  (void)b;
  (void)data;
  if (rc == PIPC_OK) main_status("sent by queue: %s", text);
  else if (rc == PIPC_EAGAIN) main_status("queue full: the child window took none of the last %d", QUEUE_CAP);
  else if (rc == PIPC_EMSGSIZE) main_status("too long for the queue (%d bytes at most)", TEXT_MAX);
  else main_status("send by queue failed: %s", pipc_strerror(rc));
  g_free(text);
}

static void on_send_memory(GtkButton *b, gpointer data) {
  char *text = main_text();
  int rc = mapped_write(text);
  (void)b;
  (void)data;
  if (rc == PIPC_OK) main_status("written to memory: %s", text);
  else main_status("write to %s failed: %s", data_path, pipc_strerror(rc));
  g_free(text);
}

static void on_send_pipe(GtkButton *b, gpointer data) {
  char *text = main_text();
  int rc = M.conn ? pipc_pipe_send(M.conn, text, strlen(text), 0) : PIPC_ECLOSED;
  (void)b;
  (void)data;
  /* send with timeout 0 never fails for want of room: what the socket
     cannot take is kept in the end's buffer and goes out later. */
  if (rc == PIPC_OK) main_status("sent by pipe: %s", text);
  else if (rc == PIPC_ECLOSED) main_status("send by pipe: the child window is gone");
  else main_status("send by pipe failed: %s", pipc_strerror(rc));
  g_free(text);
}

/* The main window's watch: the child's process, and its end of the Pipe
   (the child sends nothing: it only ever says the child has closed it). */
static void main_act(pipc_waitable *it) {
  int rc;
  char *msg;
  if (it->revents & PIPC_WAIT_ERR) {
    main_status("%s broken: %s", it->kind == PIPC_WAIT_PIPE ? "pipe" : "child process",
                pipc_strerror(it->error));
    it->events = 0;
    return;
  }
  if (it->kind == PIPC_WAIT_PROCESS) {
    rc = pipc_process_wait(M.child, 0, &M.child_code);
    if (rc == PIPC_EAGAIN) return; /* not after all */
    it->events = 0;                /* reaped: its handle is done with */
    if (rc != PIPC_OK) {
      main_status("child window: wait failed: %s", pipc_strerror(rc));
      return;
    }
    M.child_reaped = 1;
    main_status("the child window ended (exit %d)", M.child_code);
    return;
  }
  while ((rc = take_one(it, &msg)) == PIPC_OK) g_free(msg); /* none expected */
  if (rc == PIPC_EAGAIN) return;
  it->events = 0;
  if (rc == PIPC_ECLOSED) main_status("the child window closed its end of the pipe");
  else main_status("pipe: %s", pipc_strerror(rc));
}

static void main_destroyed(GtkWidget *w, gpointer data) {
  (void)w;
  (void)data;
  M.win = NULL;
  quit_loop();
}

static void build_main_window(void) {
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6), *scroll;
  M.win = named(gtk_window_new(GTK_WINDOW_TOPLEVEL), "main");
  gtk_window_set_title(GTK_WINDOW(M.win), "seed000 main window");
  gtk_window_set_default_size(GTK_WINDOW(M.win), 460, 380);
  gtk_container_set_border_width(GTK_CONTAINER(box), 8);
  gtk_container_add(GTK_CONTAINER(M.win), box);
  scroll = gtk_scrolled_window_new(NULL, NULL);
  M.text = named(gtk_text_view_new(), "main.text"); /* the seed's Multiline 'date' */
  gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(M.text), GTK_WRAP_WORD_CHAR);
  gtk_container_add(GTK_CONTAINER(scroll), M.text);
  gtk_box_pack_start(GTK_BOX(box), scroll, TRUE, TRUE, 0);
  M.send_queue = named(gtk_button_new_with_mnemonic("Send by _Queue"), "main.send_queue");
  M.send_memory = named(gtk_button_new_with_mnemonic("Write to the _memory-mapped file"),
                        "main.send_memory");
  M.send_pipe = named(gtk_button_new_with_mnemonic("Send by _Pipe"), "main.send_pipe");
  M.quit = named(gtk_button_new_with_mnemonic("_Quit"), "main.quit");
  M.status = named(gtk_label_new(""), "main.status");
  gtk_label_set_xalign(GTK_LABEL(M.status), 0);
  gtk_label_set_ellipsize(GTK_LABEL(M.status), PANGO_ELLIPSIZE_END);
  /* a click leaves the focus in the text box, to type the next text */
  gtk_widget_set_focus_on_click(M.send_queue, FALSE);
  gtk_widget_set_focus_on_click(M.send_memory, FALSE);
  gtk_widget_set_focus_on_click(M.send_pipe, FALSE);
  gtk_box_pack_start(GTK_BOX(box), M.send_queue, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), M.send_memory, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), M.send_pipe, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), M.quit, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), M.status, FALSE, FALSE, 0);
  g_signal_connect(M.send_queue, "clicked", G_CALLBACK(on_send_queue), NULL);
  g_signal_connect(M.send_memory, "clicked", G_CALLBACK(on_send_memory), NULL);
  g_signal_connect(M.send_pipe, "clicked", G_CALLBACK(on_send_pipe), NULL);
  g_signal_connect_swapped(M.quit, "clicked", G_CALLBACK(gtk_widget_destroy), M.win);
  g_signal_connect(M.win, "destroy", G_CALLBACK(main_destroyed), NULL);
  if (test_mode) {
    gtk_window_move(GTK_WINDOW(M.win), 10, 10);
    static geometry g;
    geometry_when_drawn(M.win, &g, "main", M.text, M.send_queue, M.send_memory, M.send_pipe,
                        M.quit);
  }
  gtk_widget_show_all(M.win);
  gtk_widget_grab_focus(M.text);
}

static int main_window(const char *dir) {
  pipc_pipe *theirs = NULL;
  char exe[4096], token[64];
  const char *argv[6];
  const char *shot = getenv("PIPC_SEED000_GTK_SHOT");
  int rc, bad = 0;

  /* The seed's __main__: que = Queue(1); conn1, conn2 = Pipe(True); start
     the child window with the queue and one end.  The queue holds a few
     more than one here: a put from a click must never wait. */
  if ((rc = pipc_queue_create(NULL, QUEUE_CAP, TEXT_MAX, &M.q)) != PIPC_OK) {
    failed("main", "pipc_queue_create", rc);
    return 1;
  }
  if ((rc = pipc_pipe_pair(&M.conn, &theirs)) != PIPC_OK) {
    failed("main", "pipc_pipe_pair", rc);
    goto out_queue;
  }
  if ((rc = pipc_pipe_export(theirs, token, sizeof token)) != PIPC_OK ||
      (rc = pipc_self_exe(exe, sizeof exe)) != PIPC_OK) {
    failed("main", "pipc_pipe_export / pipc_self_exe", rc);
    goto out_pipe;
  }
  argv[0] = exe;
  argv[1] = "child";
  argv[2] = pipc_queue_name(M.q);
  argv[3] = token;
  argv[4] = dir;
  argv[5] = NULL;
  if ((rc = pipc_process_spawn(argv, &M.child)) != PIPC_OK) {
    failed("main", "pipc_process_spawn", rc);
    goto out_pipe;
  }
  pipc_pipe_close(theirs); /* the child has it now */
  theirs = NULL;

  build_main_window();
  say("main", "queue %s", pipc_queue_name(M.q));
  main_status("the child window is pid %ld", pipc_process_pid(M.child));
  M.lw.who = "main";
  M.lw.act = main_act;
  M.lw.items[0] = pipc_wait_on_process(M.child);
  M.lw.items[1] = pipc_wait_on_pipe(M.conn);
  M.lw.n = 2;
  if (loop_watch_start(&M.lw) != 0) {
    bad = 1;
  } else {
    guint sig = 0;
    if (shot && *shot) sig = g_unix_signal_add(SIGUSR1, on_screenshot_signal, (gpointer)shot);
    loop_watch_pump(&M.lw);
    gtk_main();
    if (sig) g_source_remove(sig);
  }
  if (M.win) gtk_widget_destroy(M.win); /* the loop ended on an error */
  loop_watch_stop(&M.lw);

  /* Closing the main window ends the child: the queue shut and this end of
     the pipe closed, its watch sees both and it closes its window.  A
     bounded wait here, outside the main loop; kill it if it hangs. */
  pipc_queue_shutdown(M.q);
  pipc_pipe_close(M.conn);
  M.conn = NULL;
  if (!M.child_reaped) {
    rc = pipc_process_wait(M.child, 10000, &M.child_code);
    if (rc != PIPC_OK) {
      failed("main", "waiting for the child window", rc);
      pipc_process_kill(M.child);
      pipc_process_wait(M.child, PIPC_FOREVER, &M.child_code);
    }
    say("main", "the child window ended (exit %d)", M.child_code);
  }
  if (M.child_code != 0) bad = 1;
  pipc_process_free(M.child);
  remove(data_path);
  pipc_queue_unlink(pipc_queue_name(M.q));
  pipc_queue_close(M.q);
  say("main", "quit");
  return bad;

out_pipe:
  if (theirs) pipc_pipe_close(theirs);
  pipc_pipe_close(M.conn);
out_queue:
  pipc_queue_unlink(pipc_queue_name(M.q));
  pipc_queue_close(M.q);
  return 1;
}

/* ---- the child window ---- */

static struct {
  GtkWidget *win, *text, *recv_queue, *recv_memory, *recv_pipe, *quit, *queue_count, *pipe_count;
  pipc_queue *q;
  pipc_pipe *conn;
  GQueue by_queue, by_pipe; /* arrived, not yet shown: char * each */
  loop_watch lw;
} C;

static void child_counts(void) {
  char buf[64];
  snprintf(buf, sizeof buf, "queue: %u waiting", C.by_queue.length);
  gtk_label_set_text(GTK_LABEL(C.queue_count), buf);
  snprintf(buf, sizeof buf, "pipe: %u waiting", C.by_pipe.length);
  gtk_label_set_text(GTK_LABEL(C.pipe_count), buf);
}

/* Add a line to the text box - the seed's string += ...; update(string). */
static void child_show(const char *how, const char *text) {
  GtkTextBuffer *b = gtk_text_view_get_buffer(GTK_TEXT_VIEW(C.text));
  GtkTextIter end;
  char *valid = g_utf8_make_valid(text, -1);
  char *line = g_strdup_printf("%s: %s\n", how, valid);
  gtk_text_buffer_get_end_iter(b, &end);
  gtk_text_buffer_insert(b, &end, line, -1);
  say("child", "%s: %s", how, text);
  g_free(line);
  g_free(valid);
}

static void on_recv(GQueue *from, const char *how) {
  char *msg = (char *)g_queue_pop_head(from);
  if (msg) {
    child_show(how, msg);
    g_free(msg);
  } else {
    child_show(how, "(nothing has arrived)");
  }
  child_counts();
}

static void on_recv_queue(GtkButton *b, gpointer data) {
  (void)b;
  (void)data;
  on_recv(&C.by_queue, "by queue");
}

static void on_recv_pipe(GtkButton *b, gpointer data) {
  (void)b;
  (void)data;
  on_recv(&C.by_pipe, "by pipe");
}

static void on_recv_memory(GtkButton *b, gpointer data) {
  char got[TEXT_MAX + 1];
  int rc = mapped_read(got, sizeof got);
  (void)b;
  (void)data;
  if (rc == PIPC_OK) child_show("from memory", got);
  else if (rc == PIPC_ENOENT) child_show("from memory", "(nothing written yet)");
  else child_show("from memory", pipc_strerror(rc));
}

/* The child window's watch: the Queue and its end of the Pipe.  Whatever
   arrives is taken at once (timeout 0) and counted; the end of either -
   the main window closed - closes this window. */
static void child_act(pipc_waitable *it) {
  int pipe = it->kind == PIPC_WAIT_PIPE, rc;
  GQueue *to = pipe ? &C.by_pipe : &C.by_queue;
  char *msg;
  if (C.win == NULL) { /* closed already: nothing more to show */
    it->events = 0;
    return;
  }
  if (it->revents & PIPC_WAIT_ERR) {
    rc = it->error;
  } else {
    while ((rc = take_one(it, &msg)) == PIPC_OK) {
      g_queue_push_tail(to, msg);
      say("child", "%s: %u waiting", pipe ? "pipe" : "queue", to->length);
    }
    child_counts();
    if (rc == PIPC_EAGAIN) return;
  }
  it->events = 0;
  if (rc == PIPC_ECLOSED) say("child", "the main window closed the %s", pipe ? "pipe" : "queue");
  else failed("child", pipe ? "receive by pipe" : "receive by queue", rc);
  if (C.win) gtk_widget_destroy(C.win); /* ends the main loop */
}

static void child_destroyed(GtkWidget *w, gpointer data) {
  (void)w;
  (void)data;
  C.win = NULL;
  quit_loop();
}

static void build_child_window(void) {
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6), *scroll, *counts;
  C.win = named(gtk_window_new(GTK_WINDOW_TOPLEVEL), "child");
  gtk_window_set_title(GTK_WINDOW(C.win), "seed000 child window");
  gtk_window_set_default_size(GTK_WINDOW(C.win), 460, 380);
  gtk_container_set_border_width(GTK_CONTAINER(box), 8);
  gtk_container_add(GTK_CONTAINER(C.win), box);
  scroll = gtk_scrolled_window_new(NULL, NULL);
  C.text = named(gtk_text_view_new(), "child.text");
  gtk_text_view_set_editable(GTK_TEXT_VIEW(C.text), FALSE);
  gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(C.text), GTK_WRAP_WORD_CHAR);
  gtk_container_add(GTK_CONTAINER(scroll), C.text);
  gtk_box_pack_start(GTK_BOX(box), scroll, TRUE, TRUE, 0);
  counts = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  C.queue_count = named(gtk_label_new(""), "child.queue_count");
  C.pipe_count = named(gtk_label_new(""), "child.pipe_count");
  gtk_box_pack_start(GTK_BOX(counts), C.queue_count, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(counts), C.pipe_count, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), counts, FALSE, FALSE, 0);
  C.recv_queue = named(gtk_button_new_with_mnemonic("Receive by _Queue"), "child.recv_queue");
  C.recv_memory = named(gtk_button_new_with_mnemonic("Read the _memory-mapped file"),
                        "child.recv_memory");
  C.recv_pipe = named(gtk_button_new_with_mnemonic("Receive by _Pipe"), "child.recv_pipe");
  C.quit = named(gtk_button_new_with_mnemonic("_Quit"), "child.quit");
  gtk_box_pack_start(GTK_BOX(box), C.recv_queue, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), C.recv_memory, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), C.recv_pipe, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), C.quit, FALSE, FALSE, 0);
  g_signal_connect(C.recv_queue, "clicked", G_CALLBACK(on_recv_queue), NULL);
  g_signal_connect(C.recv_memory, "clicked", G_CALLBACK(on_recv_memory), NULL);
  g_signal_connect(C.recv_pipe, "clicked", G_CALLBACK(on_recv_pipe), NULL);
  g_signal_connect_swapped(C.quit, "clicked", G_CALLBACK(gtk_widget_destroy), C.win);
  g_signal_connect(C.win, "destroy", G_CALLBACK(child_destroyed), NULL);
  if (test_mode) {
    gtk_window_move(GTK_WINDOW(C.win), 490, 10);
    static geometry g;
    geometry_when_drawn(C.win, &g, "child", C.text, C.recv_queue, C.recv_memory, C.recv_pipe,
                        C.quit);
  }
  child_counts();
  gtk_widget_show_all(C.win);
}

static int child_window(const char *queue_name, const char *token) {
  int rc, bad = 0;
  if ((rc = pipc_pipe_import(token, &C.conn)) != PIPC_OK) {
    failed("child", "pipc_pipe_import", rc);
    return 1;
  }
  if ((rc = pipc_queue_open(queue_name, &C.q)) != PIPC_OK) {
    failed("child", "pipc_queue_open", rc);
    pipc_pipe_close(C.conn);
    return 1;
  }
  g_queue_init(&C.by_queue);
  g_queue_init(&C.by_pipe);
  build_child_window();
  C.lw.who = "child";
  C.lw.act = child_act;
  C.lw.items[0] = pipc_wait_on_queue(C.q, PIPC_WAIT_IN);
  C.lw.items[1] = pipc_wait_on_pipe(C.conn);
  C.lw.n = 2;
  if (loop_watch_start(&C.lw) != 0) {
    bad = 1;
  } else {
    say("child", "ready");
    loop_watch_pump(&C.lw);
    if (C.win) gtk_main();
  }
  if (C.win) gtk_widget_destroy(C.win);
  loop_watch_stop(&C.lw);
  g_queue_clear_full(&C.by_queue, g_free);
  g_queue_clear_full(&C.by_pipe, g_free);
  pipc_pipe_close(C.conn);
  pipc_queue_close(C.q);
  say("child", "quit");
  return bad;
}

int main(int argc, char **argv) {
  const char *t = getenv("PIPC_SEED000_GTK_TEST");
  int child = argc == 5 && strcmp(argv[1], "child") == 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  test_mode = t && strcmp(t, "1") == 0;
  if (!child && argc > 2) {
    fprintf(stderr, "usage: seed000_gtk [DIR]\n");
    return 2;
  }
  snprintf(data_path, sizeof data_path, "%s/seed000.dat", child ? argv[4] : argc > 1 ? argv[1] : ".");
  if (!gtk_init_check(&argc, &argv)) {
    fprintf(stderr, "[%s window] cannot open a display (is DISPLAY set?)\n", child ? "child" : "main");
    return 1;
  }
  return child ? child_window(argv[2], argv[3]) : main_window(argc > 1 ? argv[1] : ".");
}
