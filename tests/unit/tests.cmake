adbk_unit_test(test_container SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_container.c LIBS adbk_format)
