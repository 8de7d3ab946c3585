# adbk backup (issue 4): the library against the simulated DC, and the
# command through the shell. Included from tests/CMakeLists.txt.
adbk_unit_test(backup_tests
  SOURCES backup/test_backup.c backup/dcfix.c
  LIBS adbk_engine adbk_source adbk_dcsim
  LABELS backup)

set(backup_cli_script ${CMAKE_CURRENT_LIST_DIR}/backup_cli.sh)
# Cases are read from the script: configure again when it changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${backup_cli_script})
file(STRINGS ${backup_cli_script} backup_cli_lines REGEX "^t_[a-z0-9_]+\\(\\)")
foreach(line IN LISTS backup_cli_lines)
  string(REGEX REPLACE "^t_([a-z0-9_]+)\\(\\).*" "\\1" case "${line}")
  add_test(NAME backup_cli.${case} COMMAND sh ${backup_cli_script} ${case})
  set_tests_properties(backup_cli.${case} PROPERTIES LABELS "backup;cli" ENVIRONMENT
    "ADBK=$<TARGET_FILE:adbk>;ADBK_VERIFY=$<TARGET_FILE:adbk-verify>;DCSIM=$<TARGET_FILE:dcsim>;ADBK_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp")
endforeach()
