# adbk backup (issue 4): the library against the simulated DC, and the
# command through the shell. Included from tests/CMakeLists.txt.
adbk_unit_test(backup_tests
  SOURCES backup/test_backup.c backup/dcfix.c
  LIBS adbk_engine adbk_dcsim
  LABELS backup)

adbk_shell_tests(backup_cli ${CMAKE_CURRENT_LIST_DIR}/backup_cli.sh LABELS backup cli)
