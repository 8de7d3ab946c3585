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

adbk_shell_tests(crash ${CMAKE_CURRENT_LIST_DIR}/crash_cli.sh LABELS crash backup cli
  TIMEOUT 600 ENV "FAILWRITE=$<TARGET_FILE:failwrite>")
