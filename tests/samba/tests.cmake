# A real Samba AD DC (issue 14), provisioned by samba-tool in each case:
# backup, restore, dbcheck, consistency under load, locks and kills. The
# cases that start the samba daemon (bound to the loopback address) run one
# at a time. Included from tests/CMakeLists.txt.
add_executable(samba_restore_at ${CMAKE_CURRENT_LIST_DIR}/restore_at.c)
target_link_libraries(samba_restore_at PRIVATE adbk_engine)

set(samba_env "SAMBADC=${CMAKE_CURRENT_LIST_DIR}/sambadc.py"
              "RESTORE_AT=$<TARGET_FILE:samba_restore_at>"
              "EXPORT=${PROJECT_SOURCE_DIR}/tools/samba-export/adbk-samba-export")
if(ADBK_SANITIZE)
  # libldb loads its modules with RTLD_DEEPBIND, which AddressSanitizer's
  # runtime cannot work with; libldb leaves it out when this is set.
  list(APPEND samba_env "LDB_MODULES_DISABLE_DEEPBIND=1")
endif()
adbk_shell_tests(samba ${CMAKE_CURRENT_LIST_DIR}/samba_cli.sh LABELS samba cli
  TIMEOUT 900 ENV ${samba_env})
adbk_shell_tests(samba_live ${CMAKE_CURRENT_LIST_DIR}/samba_live.sh LABELS samba cli
  TIMEOUT 1200 RESOURCE_LOCK samba_daemon ENV ${samba_env})

# The rewriting of smb.conf for a DC restored into a new folder.
adbk_unit_test(test_samba_move
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_samba_move.c
  LIBS adbk_engine
  LABELS samba)
target_include_directories(test_samba_move PRIVATE
  ${PROJECT_SOURCE_DIR}/src/samba ${PROJECT_SOURCE_DIR}/src/job)
