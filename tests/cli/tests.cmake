# The programs through the shell: each t_NAME function in cli_test.sh is one case.
set(cli_script ${CMAKE_CURRENT_LIST_DIR}/cli_test.sh)
file(STRINGS ${cli_script} cli_lines REGEX "^t_[a-z0-9_]+\\(\\)")
foreach(line IN LISTS cli_lines)
  string(REGEX REPLACE "^t_([a-z0-9_]+)\\(\\).*" "\\1" case "${line}")
  add_test(NAME cli.${case} COMMAND sh ${cli_script} ${case})
  set_tests_properties(cli.${case} PROPERTIES LABELS cli ENVIRONMENT
    "ADBK=$<TARGET_FILE:adbk>;ADBK_VERIFY=$<TARGET_FILE:adbk-verify>;ADBK_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp")
endforeach()
