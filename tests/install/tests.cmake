# What is installed (issue 16): man pages, completion, the shared library's
# exports, and programs outside the tree built against an installed copy.
# tools/run-tests.sh also builds the Debian packages, installs them and runs
# them (tests/install/packages.sh).
if(NOT WIN32)
  if(ADBK_SANITIZE OR ADBK_FUZZ)
    set(sanitized 1)
  else()
    set(sanitized "")
  endif()
  adbk_shell_tests(install ${CMAKE_CURRENT_LIST_DIR}/install_test.sh LABELS install
    ENV "ADBK_MAN_DIR=${ADBK_MAN_DIR}" "ADBK_FORMAT_SO=$<TARGET_FILE:adbk_format_shared>"
        "ADBK_BUILD_DIR=${CMAKE_BINARY_DIR}" "ADBK_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
        "ADBK_SANITIZED=${sanitized}")
endif()
