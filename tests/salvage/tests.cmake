# adbk salvage (issue 6, part 2): the library against damaged and cut archives,
# and the command through the shell. Included from tests/CMakeLists.txt.
adbk_unit_test(test_salvage
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_salvage.c
  LIBS adbk_format PkgConfig::ZSTD
  LABELS salvage)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_salvage.c)

set(salvage_cli_script ${CMAKE_CURRENT_LIST_DIR}/salvage_cli.sh)
# Cases are read from the script: configure again when it changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${salvage_cli_script})
file(STRINGS ${salvage_cli_script} salvage_cli_lines REGEX "^t_[a-z0-9_]+\\(\\)")
foreach(line IN LISTS salvage_cli_lines)
  string(REGEX REPLACE "^t_([a-z0-9_]+)\\(\\).*" "\\1" case "${line}")
  add_test(NAME salvage_cli.${case} COMMAND sh ${salvage_cli_script} ${case})
  set_tests_properties(salvage_cli.${case} PROPERTIES LABELS "salvage;cli" ENVIRONMENT
    "ADBK=$<TARGET_FILE:adbk>;ADBK_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp")
endforeach()
