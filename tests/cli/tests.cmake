# The programs through the shell: each t_NAME function in cli_test.sh is one case.
adbk_shell_tests(cli ${CMAKE_CURRENT_LIST_DIR}/cli_test.sh LABELS cli)
adbk_shell_tests(keys ${CMAKE_CURRENT_LIST_DIR}/keys_cli.sh LABELS cli)
