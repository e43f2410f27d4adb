/* posix_list.c - enumerating this user's pipc names, and their OS names.
 *
 * Segments are the files "pipc.NAME" in the directory where the OS shows
 * shared memory (/dev/shm on Linux; macOS and the BSDs show it nowhere, so
 * there nothing can be listed), kept when this user owns them.  Listeners
 * are the sockets in the user's pipc directory, live or stale as
 * pipc_os_listener_state (posix_pipe.c) reads them. */
#define _GNU_SOURCE
#include "posix.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int list_segments(pipc__names *set, const char *dir) {
  char prefix[PIPC__POSIX_SHM_PATH_MAX];
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t plen;
  int rc = PIPC_OK;
  if (d == NULL) return pipc__posix_fail(errno);
  /* The shm name of "" is the prefix of every shm name: "/pipc." makes
     the files "pipc.NAME". */
  pipc__posix_shm_path(prefix, "");
  plen = strlen(prefix + 1);
  while (rc == PIPC_OK && (e = readdir(d)) != NULL) {
    char path[PIPC_PATH_MAX];
    struct stat st;
    if (strncmp(e->d_name, prefix + 1, plen) != 0 ||
        pipc_name_check(e->d_name + plen) != PIPC_OK)
      continue;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
        stat(path, &st) != 0 || st.st_uid != geteuid())
      continue; /* gone meanwhile, or another user's */
    rc = pipc__names_add(set, e->d_name + plen, PIPC__SEEN_SEGMENT);
  }
  closedir(d);
  return rc;
}

static int list_listeners(pipc__names *set) {
  char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
  struct dirent *e;
  DIR *d;
  int rc = pipc__posix_user_dir(dir, sizeof dir);
  if (rc != PIPC_OK) return rc;
  if ((d = opendir(dir)) == NULL) return pipc__posix_fail(errno);
  while (rc == PIPC_OK && (e = readdir(d)) != NULL) {
    pipc_state state;
    if (pipc_name_check(e->d_name) != PIPC_OK ||
        pipc_os_listener_state(e->d_name, &state) != PIPC_OK)
      continue; /* lock files, mutex files, what is gone meanwhile */
    rc = pipc__names_add(set, e->d_name,
                         state == PIPC_STATE_STALE     ? PIPC__SEEN_STALE
                         : state == PIPC_STATE_FOREIGN ? PIPC__SEEN_PIPE
                                                       : PIPC__SEEN_LISTENER);
  }
  closedir(d);
  return rc;
}

int pipc_os_list(pipc__names *set) {
  const char *shm_dir = pipc__posix_shm_dir();
  int rc;
  if (shm_dir == NULL) return PIPC_ENOTSUP;
  if ((rc = list_segments(set, shm_dir)) != PIPC_OK) return rc;
  return list_listeners(set);
}

int pipc_os_path(const char *name, int which, char *buf, size_t cap) {
  char shm[PIPC__POSIX_SHM_PATH_MAX];
  const char *dir;
  size_t n;
  switch (which) {
  case PIPC_PATH_SHM:
    pipc__posix_shm_path(shm, name);
    n = (size_t)snprintf(buf, cap, "%s", shm);
    break;
  case PIPC_PATH_SHM_FILE:
    if ((dir = pipc__posix_shm_dir()) == NULL) return PIPC_ENOTSUP;
    pipc__posix_shm_path(shm, name);
    n = (size_t)snprintf(buf, cap, "%s%s", dir, shm);
    break;
  default:
    return pipc_os_pipe_path(name, buf, cap);
  }
  if (n >= cap) {
    buf[0] = '\0';
    return PIPC_EOVERFLOW;
  }
  return PIPC_OK;
}
