adbk_unit_test(test_container SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_container.c LIBS adbk_format)
adbk_unit_test(test_large SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_large.c LIBS adbk_format LABELS slow)
adbk_unit_test(test_vectors SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vectors.c LIBS adbk_format)
target_compile_definitions(test_vectors PRIVATE ADBK_VECTORS_DIR="${PROJECT_SOURCE_DIR}/format/vectors")
