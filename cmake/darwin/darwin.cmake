# The posix-darwin configuration (PIPC_DARWIN_EMULATION, Linux only): pipc
# built and tested on Linux against macOS's API.  Included by the top
# CMakeLists.txt before any pipc target is made, so that everything after
# it - library, tool, tests, examples - is compiled with darwin_api.h
# forced in (what macOS lacks is an error) and macOS's headers from
# include/ first, and linked with darwin_shim.c, which plays macOS where
# Linux behaves differently behind the same call.
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  message(FATAL_ERROR "PIPC_DARWIN_EMULATION plays macOS on Linux; on macOS itself leave it OFF")
endif()
set(PIPC_DARWIN_DIR ${CMAKE_CURRENT_LIST_DIR})
# The calls the shim stands behind (darwin_shim.c says how each behaves).
set(PIPC_DARWIN_WRAPPED shm_open shm_unlink ftruncate fstat mmap fchmod fchown close dup2 fcntl
    setsockopt getsockopt send sendto sendmsg write open fopen opendir stat lstat access readlink)
set(PIPC_DARWIN_WRAP_FLAGS "")
foreach(call IN LISTS PIPC_DARWIN_WRAPPED)
  list(APPEND PIPC_DARWIN_WRAP_FLAGS "-Wl,--wrap=${call}")
endforeach()

add_library(pipc_darwin_shim SHARED ${PIPC_DARWIN_DIR}/darwin_shim.c)
target_compile_options(pipc_darwin_shim PRIVATE -fvisibility=hidden)
target_link_options(pipc_darwin_shim PRIVATE ${PIPC_DARWIN_WRAP_FLAGS})
find_package(Threads REQUIRED)
include(CheckLibraryExists)
check_library_exists(rt shm_open "" PIPC_DARWIN_HAVE_LIBRT)
if(PIPC_DARWIN_HAVE_LIBRT)
  target_link_libraries(pipc_darwin_shim PRIVATE rt)
endif()

# everything made after this point (no _FORTIFY_SOURCE: it would turn
# open() into __open_2, which no --wrap catches)
add_compile_options("SHELL:-include ${PIPC_DARWIN_DIR}/darwin_api.h" -U_FORTIFY_SOURCE)
include_directories(BEFORE ${PIPC_DARWIN_DIR}/include)
add_link_options(${PIPC_DARWIN_WRAP_FLAGS})
link_libraries(pipc_darwin_shim)

# A target built against Linux's own libraries' headers (libuv, APR): the
# forced header would make them take macOS's layouts.  It keeps the shim.
function(pipc_darwin_exempt target)
  get_target_property(opts ${target} COMPILE_OPTIONS)
  if(opts)
    list(REMOVE_ITEM opts "SHELL:-include ${PIPC_DARWIN_DIR}/darwin_api.h")
    set_target_properties(${target} PROPERTIES COMPILE_OPTIONS "${opts}")
  endif()
  get_target_property(dirs ${target} INCLUDE_DIRECTORIES)
  if(dirs)
    list(REMOVE_ITEM dirs ${PIPC_DARWIN_DIR}/include)
    set_target_properties(${target} PROPERTIES INCLUDE_DIRECTORIES "${dirs}")
  endif()
endfunction()
