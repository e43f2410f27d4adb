# Install rules of the Python package (python/pipc), included by the top
# level when PIPC_INSTALL is on: the package goes where this machine's
# Python finds packages for the install prefix, and learns where the
# shared library went (pipc/_installed.py, a path relative to the package,
# so `cmake --install --prefix DIR` anywhere gives a working package).
#
# PIPC_PYTHON_DIR (relative to the prefix) chooses the place; by default
# lib/pythonX.Y/dist-packages where the Python is Debian's (its sys.path
# has /usr/lib/python3.11/dist-packages and /usr/local/lib/python3.11/
# dist-packages), else lib/pythonX.Y/site-packages. Any other prefix:
# PYTHONPATH=PREFIX/PIPC_PYTHON_DIR (README, "From Python").
find_package(Python3 3.8 COMPONENTS Interpreter QUIET)
if(Python3_FOUND)
  execute_process(
    COMMAND ${Python3_EXECUTABLE} -c
      "import site, sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}', any('dist-packages' in p for p in site.getsitepackages()))"
    OUTPUT_VARIABLE pipc_py_out OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(pipc_py_out)
  list(GET pipc_py_out 0 pipc_py_ver)
  list(GET pipc_py_out 1 pipc_py_debian)
  if(pipc_py_debian STREQUAL "True")
    set(pipc_py_default "lib/python${pipc_py_ver}/dist-packages")
  else()
    set(pipc_py_default "lib/python${pipc_py_ver}/site-packages")
  endif()
else()
  set(pipc_py_default "lib/python3/site-packages")
endif()
set(PIPC_PYTHON_DIR "${pipc_py_default}" CACHE STRING
    "Where cmake --install puts the Python package, relative to the prefix")

if(WIN32)
  set(pipc_lib_dir ${CMAKE_INSTALL_BINDIR})  # the DLL
  set(pipc_lib_name "$<TARGET_FILE_NAME:pipc>")
else()
  set(pipc_lib_dir ${CMAKE_INSTALL_LIBDIR})
  set(pipc_lib_name "$<TARGET_SONAME_FILE_NAME:pipc>")
endif()
# either may be absolute (a distribution's layout): then as it is
foreach(v PIPC_PYTHON_DIR pipc_lib_dir)
  if(IS_ABSOLUTE "${${v}}")
    set(pipc_full_${v} "${${v}}")
  else()
    set(pipc_full_${v} "${CMAKE_INSTALL_PREFIX}/${${v}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${pipc_lib_dir}")
  set(pipc_py_to_lib "${pipc_lib_dir}") # no longer relocatable: the library stays put
else()
  file(RELATIVE_PATH pipc_py_to_lib ${pipc_full_PIPC_PYTHON_DIR}/pipc ${pipc_full_pipc_lib_dir})
endif()
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/python/_installed.py CONTENT
"\"\"\"Written by cmake --install: where the shared library was installed,
relative to this package.\"\"\"
LIBRARY = \"${pipc_py_to_lib}/${pipc_lib_name}\"
")
install(DIRECTORY python/pipc DESTINATION ${PIPC_PYTHON_DIR}
        PATTERN __pycache__ EXCLUDE PATTERN "*.pyc" EXCLUDE)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/python/_installed.py DESTINATION ${PIPC_PYTHON_DIR}/pipc)
