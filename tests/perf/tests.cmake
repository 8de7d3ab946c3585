# The writer pipeline with compression that costs nothing, at 1 to 16
# threads: checks the archives it writes and prints the throughput (never
# asserts one). For a real measurement run it by hand on more data:
#   build/tests/pipeline_scale --mib 1024
add_executable(pipeline_scale ${CMAKE_CURRENT_LIST_DIR}/pipeline_scale.c)
# writer_store_raw is the library's internal, test-only hook (internal.h).
target_include_directories(pipeline_scale PRIVATE ${PROJECT_SOURCE_DIR}/format/lib)
target_link_libraries(pipeline_scale PRIVATE adbk_format)
add_test(NAME perf.pipeline_scale COMMAND pipeline_scale --mib 64)
# The ordered stage's speed is timed with the XXH3 code the library runs.
if(ADBK_HAVE_XXH_DISPATCH)
  target_compile_definitions(pipeline_scale PRIVATE ADBK_XXH_DISPATCH=1)
endif()
