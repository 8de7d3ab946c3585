# adbk restore (issue 5): the library against the simulated DC, and the
# command through the shell. Included from tests/CMakeLists.txt.
adbk_unit_test(restore_tests
  SOURCES restore/test_restore.c backup/dcfix.c
  LIBS adbk_engine adbk_dcsim PkgConfig::XXHASH
  LABELS restore)
target_include_directories(restore_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backup)

adbk_shell_tests(restore_cli ${CMAKE_CURRENT_LIST_DIR}/restore_cli.sh LABELS restore cli)
