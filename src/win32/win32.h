/* win32.h - private to the Win32 backend. */
#ifndef PIPC_WIN32_H
#define PIPC_WIN32_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "pipc_os.h"
#include "pipc_testing.h" /* PIPC__KERNEL_CALL: counted in the test library */

/* Map a GetLastError() value to a PIPC code, remember it, return the code. */
int pipc__win32_fail(DWORD err);

/* Windows compares object and pipe names without regard to case; pipc's
   names are case-sensitive, as on POSIX.  So NAME is written with each
   upper-case letter as '^' and the letter in lower case ('^' is in no pipc
   name): Jobs and jobs stay two objects.  pipc__win32_name_put writes the
   encoded name at buf (no terminator) and returns its length (at most
   2 * PIPC_NAME_MAX); pipc__win32_name_get reads one back from w[len] up to
   a ':' or the end into out[PIPC_NAME_MAX + 1], setting *used: 1 if it is
   a valid pipc name so written, else 0. */
size_t pipc__win32_name_put(WCHAR *buf, const char *name);
int pipc__win32_name_get(const WCHAR *w, size_t len, char *out, size_t *used);

/* L"Local\\pipc.NAME" followed by `suffix` (L"" for the segment itself;
   kernel objects beside it use a suffix starting with ':', a character no
   pipc name has, so they never collide with another name). */
#define PIPC__WIN32_NAME_MAX (2 * PIPC_NAME_MAX + 32)
void pipc__win32_object_name(WCHAR *buf, const char *name, const WCHAR *suffix);

/* The suffix of the named mutex a listener holds while it lives, beside
   its pipe (win32_pipe.c); the listing (win32_list.c) looks for it. */
#define PIPC__WIN32_LISTENER_SUFFIX L":listener"

/* L"\\\\.\\pipe\\pipc.NAME", the path of a pipe name (win32_pipe.c), into
   PIPC__WIN32_NAME_MAX + 16 characters. */
void pipc__win32_pipe_path(WCHAR *buf, const char *name);

/* An OS name made above (ASCII, as pipc names are) as bytes in buf[cap]:
   PIPC_OK or PIPC_EOVERFLOW. */
int pipc__win32_narrow(char *buf, size_t cap, const WCHAR *ascii);

/* Security attributes granting the current user alone; not inheritable.
   NULL if they could not be made (the error is recorded). */
SECURITY_ATTRIBUTES *pipc__win32_owner_only(void);

/* Milliseconds until deadline for a Wait function (INFINITE for -1). */
DWORD pipc__win32_wait_ms(int64_t deadline);

/* A child's standard stream (win32_stream.c): a new byte-mode pipe; this
   process's end (overlapped, not inheritable) in *out, the child's
   (synchronous, inheritable: give it to the child through a spawn's handle
   list, then close it here) in *child - it reads the pipe if child_reads
   (stdin), else writes it.  PIPC_OK, or an error with nothing made. */
int pipc__win32_stream_make(int child_reads, pipc_os_stream **out, HANDLE *child);

/* UTF-8 <-> UTF-16; the result is malloc'ed (NULL: out of memory or bad). */
WCHAR *pipc__win32_wide(const char *utf8);
char *pipc__win32_utf8(const WCHAR *wide);

#endif
