# ctest "package": install this build, then build and run a consumer of it
# with find_package (shared and static), with pkg-config, and with
# add_subdirectory.
#   cmake -DBUILD_DIR= -DSOURCE_DIR= -DWORK= -DGENERATOR= -DCC= -P check.cmake
set(inst ${WORK}/install)
file(REMOVE_RECURSE ${WORK})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(last_out "${out}" PARENT_SCOPE)
endfunction()

run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${inst})
foreach(f include/pipc.h include/pipc_apr.h lib/cmake/pipc/pipcConfig.cmake lib/cmake/pipc/pipcConfigVersion.cmake
          lib/pkgconfig/pipc.pc lib/libpipc.a lib/libpipc.so bin/pipc)
  if(NOT EXISTS ${inst}/${f})
    message(FATAL_ERROR "install: ${f} missing")
  endif()
endforeach()

foreach(how find static subdir)
  set(b ${WORK}/${how})
  run("configure (${how})" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${b}
      -G ${GENERATOR} -DCMAKE_C_COMPILER=${CC} -DPIPC_HOW=${how}
      -DCMAKE_PREFIX_PATH=${inst} -DPIPC_SOURCE=${SOURCE_DIR})
  run("build (${how})" ${CMAKE_COMMAND} --build ${b})
  run("run (${how})" ${b}/consumer)
endforeach()

# The Python package: installed where this Python looks for the prefix
# (lib/python3.X/dist-packages on Debian), it loads the library installed
# beside it - no PIPC_LIBRARY, no LD_LIBRARY_PATH.
unset(ENV{PIPC_LIBRARY})
unset(ENV{LD_LIBRARY_PATH})
file(GLOB pyinit ${inst}/lib/python3*/*-packages/pipc/__init__.py)
if(NOT pyinit)
  message(FATAL_ERROR "install: the Python package (lib/python3.X/*-packages/pipc) is missing")
endif()
get_filename_component(pydir ${pyinit} DIRECTORY)
get_filename_component(pydir ${pydir} DIRECTORY)
find_program(PYTHON3 python3)
if(PYTHON3)
  set(ENV{PYTHONPATH} ${pydir})
  run("the installed Python package" ${PYTHON3} -c
      "import pipc\nq = pipc.Queue()\nq.put_bytes(b'x')\nassert q.get_bytes() == b'x'\nq.close()\nprint(pipc.library_path())")
  string(STRIP "${last_out}" loaded)
  get_filename_component(loaded ${loaded} REALPATH)
  get_filename_component(inst_real ${inst} REALPATH)
  string(FIND "${loaded}" "${inst_real}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "the installed Python package loaded ${loaded}, not the library in ${inst}")
  endif()
  unset(ENV{PYTHONPATH})
endif()

# pkg-config: flags from the installed pipc.pc, the shared library found at
# run time - by an rpath made from pipc.pc's libdir, then by LD_LIBRARY_PATH
set(ENV{PKG_CONFIG_PATH} ${inst}/lib/pkgconfig)
run("pkg-config" pkg-config --cflags --libs pipc)
string(STRIP "${last_out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run("pkg-config libdir" pkg-config --variable=libdir pipc)
string(STRIP "${last_out}" libdir)
run("compile (pkg-config, rpath)" ${CC} ${SOURCE_DIR}/tests/package/consumer/main.c ${flags}
    -Wl,-rpath,${libdir} -o ${WORK}/consumer-rpath)
run("run (pkg-config, rpath)" ${WORK}/consumer-rpath)
run("compile (pkg-config)" ${CC} ${SOURCE_DIR}/tests/package/consumer/main.c ${flags}
    -o ${WORK}/consumer-pc)
set(ENV{LD_LIBRARY_PATH} ${inst}/lib)
run("run (pkg-config)" ${WORK}/consumer-pc)

# pkg-config --static: -DPIPC_STATIC (Cflags.private) and the private libs;
# linked with the static library itself, run with no libpipc.so in reach
run("pkg-config --static" pkg-config --static --cflags --libs pipc)
string(STRIP "${last_out}" sflags)
# Cflags.private is pkgconf's (Debian's pkg-config); freedesktop's
# pkg-config 0.29 ignores the field (harmless off Windows)
execute_process(COMMAND pkg-config --about RESULT_VARIABLE not_pkgconf OUTPUT_QUIET ERROR_QUIET)
if(not_pkgconf)
  message(STATUS "pkg-config is not pkgconf: Cflags.private (-DPIPC_STATIC) not checked")
elseif(NOT sflags MATCHES "-DPIPC_STATIC")
  message(FATAL_ERROR "pkg-config --static --cflags pipc lacks -DPIPC_STATIC: ${sflags}")
endif()
run("pkg-config (shared)" pkg-config --cflags pipc)
if(last_out MATCHES "PIPC_STATIC")
  message(FATAL_ERROR "pkg-config --cflags pipc (shared) has -DPIPC_STATIC: ${last_out}")
endif()
separate_arguments(sflags UNIX_COMMAND "${sflags}")
list(FIND sflags "-lpipc" at)
if(at EQUAL -1)
  message(FATAL_ERROR "pkg-config --static --libs pipc has no -lpipc: ${sflags}")
endif()
list(TRANSFORM sflags REPLACE "^-lpipc$" "${inst}/lib/libpipc.a")
run("compile (pkg-config --static)" ${CC} ${SOURCE_DIR}/tests/package/consumer/main.c ${sflags}
    -o ${WORK}/consumer-pc-static)
unset(ENV{LD_LIBRARY_PATH})
if(EXISTS ${inst}/lib/libpipc_darwin_shim.so) # posix-darwin: the shim is a
  set(ENV{LD_LIBRARY_PATH} ${inst}/lib)     # shared library of its own
endif()
run("run (pkg-config --static)" ${WORK}/consumer-pc-static)
find_program(READELF readelf)
if(READELF)
  run("readelf (pkg-config --static)" ${READELF} -d ${WORK}/consumer-pc-static)
  if(last_out MATCHES "libpipc\\.so")
    message(FATAL_ERROR "the --static consumer needs a shared libpipc:\n${last_out}")
  endif()
endif()
set(ENV{LD_LIBRARY_PATH} ${inst}/lib)
run("the installed pipc tool" ${inst}/bin/pipc path demo)
