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
   pipc name has, so they never collide with another name).
   pipc__win32_object_name_ns: the same in L"Global\\" if global != 0. */
#define PIPC__WIN32_NAME_MAX (2 * PIPC_NAME_MAX + 32)
void pipc__win32_object_name(WCHAR *buf, const char *name, const WCHAR *suffix);
void pipc__win32_object_name_ns(WCHAR *buf, int global, const char *name,
                                const WCHAR *suffix);

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

/* ---- sharing (pipc_os_attr): security descriptors and namespaces ---- */

/* The current user (the process token's), as a SID and as "S-1-5-..." -
   made once; NULL if it could not be read (the error is recorded). */
PSID pipc__win32_user_sid(void);
const WCHAR *pipc__win32_user_sid_string(void);

/* The user of token `tok` into sid[cap] (at least SECURITY_MAX_SID_SIZE
   bytes): 1, or 0 with GetLastError() set. */
int pipc__win32_token_user(HANDLE tok, PSID sid, DWORD cap);

/* The security descriptor of an object made with `attr` (NULL: owner-only):
   a protected DACL granting the current user everything and, for GROUP,
   the group's SID or, for ALL, Authenticated Users (AU) the rights to use
   the object and nothing more (no DELETE, WRITE_DAC, WRITE_OWNER); or
   attr->sddl exactly as given.
     for_pipe 0 (mappings and their events, semaphores, mutexes): others get
       GRGWGX, which each type maps to what an open needs.
     for_pipe 1 (named pipe instances): the owner is the user (O:), so a
       client can tell a pipc server of its own user even when it cannot
       open the server's process; others get 0x12019b: FILE_GENERIC_READ |
       FILE_GENERIC_WRITE without FILE_CREATE_PIPE_INSTANCE (which has
       FILE_APPEND_DATA's bit: granting FILE_GENERIC_WRITE would let them
       put up instances of the name and take the next clients).
   *out: LocalFree it; NULL (PIPC_OK) for an owner-only segment, which
   uses pipc__win32_owner_only().  The group: a SID string ("S-1-5-32-545",
   used as it is, not looked up: a domain group's SID works offline), else
   a name for LookupAccountNameW, which must name a group or an alias.
   PIPC_OK, PIPC_EINVAL (a malformed sddl), PIPC_ENOENT (no such group),
   PIPC_ENOMEM, PIPC_ESYS. */
int pipc__win32_security(const pipc_os_attr *attr, int for_pipe, PSECURITY_DESCRIPTOR *out);

/* Security attributes in *buf for descriptor sd, not inheritable; sd NULL:
   pipc__win32_owner_only() (NULL if that cannot be made). */
SECURITY_ATTRIBUTES *pipc__win32_sa(SECURITY_ATTRIBUTES *buf, PSECURITY_DESCRIPTOR sd);

/* pipc_os_map.scope of a named segment: where it and its companions (the
   mutexes, parking semaphores pipc makes beside it) live, and with what
   security the companions are made.  A segment made owner-only in the
   Local\ namespace has none (scope NULL); nor has a mapped file. */
typedef struct pipc__win32_scope {
  int global;              /* Global\ rather than Local\ */
  PSECURITY_DESCRIPTOR sd; /* create: the segment's descriptor (LocalFree'd
                              with the scope); NULL: owner-only.  An open
                              makes no companions: NULL */
} pipc__win32_scope;

/* The name of companion `suffix` of segment `seg` (NULL, or scope NULL:
   Local\), and the security attributes to make it with (in *buf; NULL if
   the owner-only ones cannot be made). */
void pipc__win32_companion_name(WCHAR *buf, const pipc_os_map *seg, const char *name,
                                const WCHAR *suffix);
SECURITY_ATTRIBUTES *pipc__win32_companion_sa(const pipc_os_map *seg,
                                              SECURITY_ATTRIBUTES *buf);

/* 1 if an open of `name` finds its segment in Global\ (none in Local\),
   else 0 (win32_shm.c). */
int pipc__win32_shm_is_global(const char *name);

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
