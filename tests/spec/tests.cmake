# The archive format checked by a reader written from FORMAT.md alone. One ctest
# case per archive, run as `run_spec_tests.sh ADBK CASE`: spec.NAME for each
# t_NAME function of the script (archives adbk makes, damaged copies of one) and
# spec.vector.NAME for each golden vector format/vectors/NAME.adbk. Both lists
# are read again when the script or the folder changes.
set(spec_script ${CMAKE_CURRENT_LIST_DIR}/run_spec_tests.sh)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${spec_script})
file(STRINGS ${spec_script} lines REGEX "^t_[a-z0-9_]+\\(\\)")
set(spec_cases "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^t_([a-z0-9_]+)\\(\\).*" "\\1" case "${line}")
  list(APPEND spec_cases ${case})
endforeach()
file(GLOB vectors CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/format/vectors/*.adbk)
foreach(vector IN LISTS vectors)
  get_filename_component(name ${vector} NAME_WLE)
  list(APPEND spec_cases vector.${name})
endforeach()
foreach(case IN LISTS spec_cases)
  add_test(NAME spec.${case} COMMAND bash ${spec_script} $<TARGET_FILE:adbk> ${case})
  set_tests_properties(spec.${case} PROPERTIES LABELS spec
    FAIL_REGULAR_EXPRESSION "[1-9][0-9]* failed")
endforeach()
