# The archive format checked by a reader written from FORMAT.md alone.
add_test(NAME spec.independent_reader_agrees_with_adbk
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run_spec_tests.sh $<TARGET_FILE:adbk>)
set_tests_properties(spec.independent_reader_agrees_with_adbk PROPERTIES LABELS spec
  FAIL_REGULAR_EXPRESSION "[1-9][0-9]* failed")
