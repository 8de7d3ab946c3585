# adbk salvage (issue 6, part 2): the library against damaged and cut archives,
# and the command through the shell. Included from tests/CMakeLists.txt.
adbk_unit_test(test_salvage
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_salvage.c
  LIBS adbk_format PkgConfig::ZSTD
  LABELS salvage)
target_compile_definitions(test_salvage PRIVATE
  ADBK_SALVAGE_REGRESS_DIR="${CMAKE_CURRENT_LIST_DIR}/regress"
  ADBK_HOSTILE_DIR="${CMAKE_CURRENT_LIST_DIR}/../fixtures/hostile")

adbk_shell_tests(salvage_cli ${CMAKE_CURRENT_LIST_DIR}/salvage_cli.sh LABELS salvage cli)
