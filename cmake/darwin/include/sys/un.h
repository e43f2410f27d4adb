/* sys/un.h as macOS has it (xnu bsd/sys/un.h), for the posix-darwin
   configuration on Linux: a 104-byte sun_path, and the SOL_LOCAL options
   pipc asks for.  macOS's sockaddr_un starts with a length byte and a
   one-byte family; Linux takes neither, so this keeps Linux's two-byte
   family and only shortens the path, which is what pipc's code sees
   (sizeof sun_path).  It replaces glibc's <sys/un.h>, whose guard it takes. */
#ifndef _SYS_UN_H
#define _SYS_UN_H 1
#include <sys/socket.h>

struct sockaddr_un {
  sa_family_t sun_family;
  char sun_path[104];
};

#define SOL_LOCAL 0        /* level of the local-socket options */
#define LOCAL_PEERCRED 0x001
#define LOCAL_PEERPID 0x002 /* pid_t of the peer at connect */
#define LOCAL_PEEREPID 0x003

#define SUN_LEN(su) (sizeof(*(su)) - sizeof((su)->sun_path) + strlen((su)->sun_path))
#endif
