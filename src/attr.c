/* attr.c - creation attributes (pipc_attr): checked once here, handed to
   the backends as a pipc_os_attr. */
#include "pipc_core.h"

#include <string.h>

int pipc__attr_check(const pipc_attr *a, int where, pipc_os_attr *out,
                     const pipc_os_attr **use) {
  *use = NULL;
  memset(out, 0, sizeof *out);
  if (a == NULL) return PIPC_OK;
  if (a->access != PIPC_ACCESS_OWNER && a->access != PIPC_ACCESS_GROUP &&
      a->access != PIPC_ACCESS_ALL)
    return PIPC_EINVAL;
  if ((a->access == PIPC_ACCESS_GROUP) != (a->group != NULL)) return PIPC_EINVAL;
  if (a->group != NULL && a->group[0] == '\0') return PIPC_EINVAL;
  if (a->sddl != NULL && (a->sddl[0] == '\0' || a->access != PIPC_ACCESS_OWNER))
    return PIPC_EINVAL;
  if ((a->flags & ~PIPC_ATTR_GLOBAL) != 0) return PIPC_EINVAL;
  if (a->dir != NULL && a->dir[0] == '\0') return PIPC_EINVAL;
  if (a->authkey == NULL ? a->authkey_len != 0
                         : (where != PIPC__ATTR_PIPE || a->authkey_len == 0 ||
                            a->authkey_len > PIPC_AUTHKEY_MAX))
    return PIPC_EINVAL;
  out->access = (int)a->access;
  out->group = a->group;
  out->sddl = a->sddl;
  out->global = (a->flags & PIPC_ATTR_GLOBAL) != 0;
  out->dir = where == PIPC__ATTR_PIPE ? a->dir : NULL;
  if (out->access != PIPC_ACCESS_OWNER || out->sddl || out->global || out->dir)
    *use = out;
  return PIPC_OK;
}
