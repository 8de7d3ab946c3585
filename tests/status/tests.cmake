# adbk status (issue 16): a folder of archives of several domain controllers,
# fresh, old, expired, damaged, foreign and encrypted, through the shell.
# mkarchive writes archives with the properties and creation times the cases
# need. Included from tests/CMakeLists.txt.
add_executable(mkarchive ${CMAKE_CURRENT_LIST_DIR}/mkarchive.c)
target_link_libraries(mkarchive PRIVATE adbk_format)

adbk_shell_tests(status_cli ${CMAKE_CURRENT_LIST_DIR}/status_cli.sh LABELS cli
  ENV "MKARCHIVE=$<TARGET_FILE:mkarchive>")
