# ctest darwin.api (posix-darwin only): cmake/darwin/darwin_api.h really
# refuses what macOS lacks and offers what it has.  Each snippet is
# compiled as pipc's sources are (-include darwin_api.h, macOS's headers
# first); one that uses something macOS lacks must fail, one that uses
# what macOS has must build.
#   cmake -DCC=... -DDARWIN=cmake/darwin -DWORK=dir -P api_check.cmake
file(MAKE_DIRECTORY ${WORK})
set(failures 0)
function(snippet expect what code)
  string(MAKE_C_IDENTIFIER "${what}" id)
  file(WRITE ${WORK}/${id}.c "#define _GNU_SOURCE\n#include <fcntl.h>\n#include <pthread.h>\n#include <semaphore.h>\n#include <stdio.h>\n#include <sys/mman.h>\n#include <sys/socket.h>\n#include <sys/un.h>\n#include <time.h>\n#include <unistd.h>\n${code}\n")
  execute_process(COMMAND ${CC} -std=c11 -fsyntax-only -Werror=implicit-function-declaration
                          -DPIPC_BUILDING -include ${DARWIN}/darwin_api.h -I${DARWIN}/include
                          ${WORK}/${id}.c
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  set(plain 0)
  if(expect STREQUAL "refused") # and Linux has it: refused for being Linux's
    execute_process(COMMAND ${CC} -std=c11 -fsyntax-only -Werror=implicit-function-declaration
                            ${WORK}/${id}.c RESULT_VARIABLE plain OUTPUT_QUIET ERROR_QUIET)
  endif()
  if(NOT plain EQUAL 0)
    message("FAIL: ${what}: does not even build for Linux")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  elseif(expect STREQUAL "refused" AND rc EQUAL 0)
    message("FAIL: ${what}: compiled, but macOS has no such thing")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  elseif(expect STREQUAL "built" AND NOT rc EQUAL 0)
    message("FAIL: ${what}: refused, but macOS has it")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  else()
    message("ok   ${what}: ${expect}")
  endif()
endfunction()

snippet(refused "sem_init" "int f(sem_t *s) { return sem_init(s, 1, 0); }")
snippet(refused "sem_timedwait" "int f(sem_t *s, struct timespec *t) { return sem_timedwait(s, t); }")
snippet(refused "robust mutex" "int f(pthread_mutexattr_t *a) { return pthread_mutexattr_setrobust(a, 1); }")
snippet(refused "pthread_mutex_clocklock" "int f(pthread_mutex_t *m, struct timespec *t) { return pthread_mutex_clocklock(m, CLOCK_MONOTONIC, t); }")
snippet(refused "pthread_condattr_setclock" "int f(pthread_condattr_t *a) { return pthread_condattr_setclock(a, CLOCK_MONOTONIC); }")
snippet(refused "syscall" "long f(void) { return syscall(0); }")
snippet(refused "pipe2" "int f(int *fd) { return pipe2(fd, O_CLOEXEC); }")
snippet(refused "accept4" "int f(int fd) { return accept4(fd, 0, 0, 0); }")
snippet(refused "SOCK_CLOEXEC" "int f(void) { return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }")
snippet(refused "MSG_NOSIGNAL" "long f(int fd) { return send(fd, \"\", 0, MSG_NOSIGNAL); }")
snippet(refused "SO_PEERCRED" "int f(void) { return SO_PEERCRED; }")
snippet(refused "posix_fallocate" "int f(int fd) { return posix_fallocate(fd, 0, 1); }")
snippet(refused "clock_nanosleep" "int f(struct timespec *t) { return clock_nanosleep(CLOCK_MONOTONIC, 0, t, 0); }")
snippet(refused "memfd_create" "#include <sys/mman.h>\nint f(void) { return memfd_create(\"x\", 0); }")
snippet(refused "eventfd" "#include <sys/eventfd.h>\nint f(void) { return eventfd(0, 0); }")
snippet(refused "environ in the library" "char **f(void) { return environ; }")
snippet(refused "__linux__ defined, __APPLE__ not" "#ifndef __linux__\n#error\n#endif\n#ifdef __APPLE__\n#error\n#endif\nint x;")
snippet(refused "#ifdef SOCK_CLOEXEC finds it" "#ifdef SOCK_CLOEXEC\nint x;\n#else\n#error absent\n#endif")
snippet(built "#ifdef SOCK_CLOEXEC is false" "#ifdef SOCK_CLOEXEC\n#error present\n#endif\nint x;")
snippet(built "os_sync_wait_on_address" "#include <os/os_sync_wait_on_address.h>\nint f(unsigned *w) { return os_sync_wait_on_address(w, 0, 4, OS_SYNC_WAIT_ON_ADDRESS_SHARED); }")
snippet(built "getpeereid, SO_NOSIGPIPE, LOCAL_PEERPID" "int f(int fd, uid_t *u, gid_t *g) { int one = 1; setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one); return getpeereid(fd, u, g) + LOCAL_PEERPID + SOL_LOCAL; }")
snippet(built "sun_path of 104 bytes" "_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == 104, \"104\");")
snippet(built "_NSGetEnviron, _NSGetExecutablePath" "#include <crt_externs.h>\n#include <mach-o/dyld.h>\nint f(char *b, uint32_t *n) { return *_NSGetEnviron() != 0 && _NSGetExecutablePath(b, n); }")
snippet(built "__builtin_available" "int f(void) { if (__builtin_available(macOS 14.4, *)) return 1; return 0; }")
snippet(built "flock, F_DUPFD_CLOEXEC, O_CLOEXEC" "#include <sys/file.h>\nint f(int fd) { return flock(fd, LOCK_EX) + fcntl(fd, F_DUPFD_CLOEXEC, 3) + open(\"x\", O_CLOEXEC); }")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} snippet(s) wrong: darwin_api.h does not hold macOS's API")
endif()
