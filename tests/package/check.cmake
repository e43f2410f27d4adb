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

# pkg-config: flags from the installed pipc.pc, the shared library found at run time
set(ENV{PKG_CONFIG_PATH} ${inst}/lib/pkgconfig)
run("pkg-config" pkg-config --cflags --libs pipc)
string(STRIP "${last_out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run("compile (pkg-config)" ${CC} ${SOURCE_DIR}/tests/package/consumer/main.c ${flags}
    -o ${WORK}/consumer-pc)
set(ENV{LD_LIBRARY_PATH} ${inst}/lib)
run("run (pkg-config)" ${WORK}/consumer-pc)
run("the installed pipc tool" ${inst}/bin/pipc path demo)
