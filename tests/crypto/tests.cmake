# Encryption against the real age (FORMAT.md 13.4 takes age's X25519 stanza
# and key forms): age_interop writes and reads age files whose stanza is ours
# (crypto.c) and whose keys are parsed by keys.c; crypto_cli.sh puts them in
# front of age and age-keygen. The unit tests of the same code are
# tests/unit/test_crypto.c. Included from tests/CMakeLists.txt.
add_executable(age_interop ${CMAKE_CURRENT_LIST_DIR}/age_interop.c)
# crypto.h, the library's internal API, is what is checked.
target_include_directories(age_interop PRIVATE ${PROJECT_SOURCE_DIR}/format/lib)
target_link_libraries(age_interop PRIVATE adbk_format)

adbk_shell_tests(crypto_cli ${CMAKE_CURRENT_LIST_DIR}/crypto_cli.sh LABELS crypto
  ENV "AGE_INTEROP=$<TARGET_FILE:age_interop>")
