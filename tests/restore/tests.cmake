# adbk restore (issue 5): the library against the simulated DC, and the
# command through the shell. Included from tests/CMakeLists.txt.
adbk_unit_test(restore_tests
  SOURCES restore/test_restore.c backup/dcfix.c
  LIBS adbk_engine adbk_source adbk_dcsim PkgConfig::XXHASH
  LABELS restore)
target_include_directories(restore_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backup)

set(restore_cli_script ${CMAKE_CURRENT_LIST_DIR}/restore_cli.sh)
# Cases are read from the script: configure again when it changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${restore_cli_script})
file(STRINGS ${restore_cli_script} restore_cli_lines REGEX "^t_[a-z0-9_]+\\(\\)")
foreach(line IN LISTS restore_cli_lines)
  string(REGEX REPLACE "^t_([a-z0-9_]+)\\(\\).*" "\\1" case "${line}")
  add_test(NAME restore_cli.${case} COMMAND sh ${restore_cli_script} ${case})
  set_tests_properties(restore_cli.${case} PROPERTIES LABELS "restore;cli" SKIP_RETURN_CODE 77
    ENVIRONMENT
    "ADBK=$<TARGET_FILE:adbk>;ADBK_VERIFY=$<TARGET_FILE:adbk-verify>;DCSIM=$<TARGET_FILE:dcsim>;ADBK_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp")
endforeach()
