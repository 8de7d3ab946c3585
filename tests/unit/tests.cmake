# The container library's unit tests: each tests/unit/test_NAME.c is a program
# test_NAME linking adbk_format, and each of its TESTs a ctest case. A new file
# is found without a CMake edit (the glob is checked again at every build).
# Labels beyond none, by program:
set(unit_labels_test_large slow)

file(GLOB unit_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_*.c)
foreach(src IN LISTS unit_sources)
  get_filename_component(prog ${src} NAME_WE)
  adbk_unit_test(${prog} SOURCES ${src} LIBS adbk_format LABELS ${unit_labels_${prog}})
endforeach()

target_compile_definitions(test_vectors PRIVATE ADBK_VECTORS_DIR="${PROJECT_SOURCE_DIR}/format/vectors")
# The cryptography's internal functions (crypto.h) are tested directly.
target_include_directories(test_crypto PRIVATE ${PROJECT_SOURCE_DIR}/format/lib)
# The front end's helpers (tools/common/cli.c).
target_link_libraries(test_cli PRIVATE adbk_fe)
# The worker pool's internals (internal.h).
target_include_directories(test_pool PRIVATE ${PROJECT_SOURCE_DIR}/format/lib)
