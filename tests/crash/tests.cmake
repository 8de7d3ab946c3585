# Crash consistency (issue 6, part 4): adbk backup killed with SIGKILL at many
# points, on a full disk (ENOSPC) and with write errors (EIO). The faults come
# from an LD_PRELOAD shim (failwrite.c), so the test needs no mount rights; a
# real small filesystem (tmpfs) is used in addition when mounting is allowed.
# Included from tests/CMakeLists.txt.
add_library(failwrite SHARED ${CMAKE_CURRENT_LIST_DIR}/failwrite.c)
# The shim is loaded into sanitized programs too; it must not bring its own
# sanitizer runtime.
target_compile_options(failwrite PRIVATE -fno-sanitize=all)
target_link_options(failwrite PRIVATE -fno-sanitize=all)
target_link_libraries(failwrite PRIVATE ${CMAKE_DL_LIBS})

set(crash_script ${CMAKE_CURRENT_LIST_DIR}/crash_cli.sh)
# Cases are read from the script: configure again when it changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${crash_script})
file(STRINGS ${crash_script} crash_lines REGEX "^t_[a-z0-9_]+\\(\\)")
foreach(line IN LISTS crash_lines)
  string(REGEX REPLACE "^t_([a-z0-9_]+)\\(\\).*" "\\1" case "${line}")
  add_test(NAME crash.${case} COMMAND sh ${crash_script} ${case})
  set_tests_properties(crash.${case} PROPERTIES LABELS "crash;backup;cli" TIMEOUT 600
    ENVIRONMENT "ADBK=$<TARGET_FILE:adbk>;DCSIM=$<TARGET_FILE:dcsim>;FAILWRITE=$<TARGET_FILE:failwrite>;ADBK_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp")
endforeach()
