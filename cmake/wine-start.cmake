# ctest fixture for the tests that run under Wine (see CMakeLists.txt):
#   cmake -DWINE=<wine64> -DWINESERVER=<wineserver> -P wine-start.cmake
#
# A new wineserver's first Windows program starts Wine's own services
# (services.exe, winedevice.exe, plugplay.exe, rpcss.exe, ...), and they
# inherit that program's stdout.  If the first program is a test, they hold
# ctest's output pipe for as long as the server lives and ctest waits for
# the test until its timeout although the test has long finished.  So: start
# one persistent server and boot Wine here, with every standard stream on
# the null device, before any test runs.
if(NOT WINE)
  message(FATAL_ERROR "wine-start.cmake: -DWINE=<wine binary> is required")
endif()
set(null /dev/null)
if(WINESERVER)
  execute_process(COMMAND ${WINESERVER} -p
                  INPUT_FILE ${null} OUTPUT_FILE ${null} ERROR_FILE ${null})
endif()
execute_process(COMMAND ${WINE} wineboot
                INPUT_FILE ${null} OUTPUT_FILE ${null} ERROR_FILE ${null}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "wine-start.cmake: '${WINE} wineboot' failed (${rc})")
endif()
