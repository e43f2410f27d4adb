/* crt_externs.h of macOS: how a library reaches the environment. */
#ifndef PIPC_DARWIN_CRT_EXTERNS_H
#define PIPC_DARWIN_CRT_EXTERNS_H
char ***_NSGetEnviron(void);
#endif
