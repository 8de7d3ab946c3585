/*
 * password.h - asking the user for a password without echo.
 *
 * Owns: the terminal (POSIX: /dev/tty with echo off through termios; Windows:
 * the console with ENABLE_ECHO_INPUT cleared). One file per platform, picked
 * by CMake. A password never comes from the command line: the front ends take
 * it from here or from the environment.
 */
#ifndef ADBK_TOOLS_PASSWORD_H
#define ADBK_TOOLS_PASSWORD_H

#include "adbk_format.h"

#include <stddef.h>

/* Shows prompt on the terminal and reads one line into buf (NUL-terminated,
 * newline removed, UTF-8), with echo off; echo is restored on every path.
 * ADBK_E_IO when there is no terminal to ask (err says how else to give
 * it), ADBK_E_ARG when the answer does not fit in cap. */
adbk_status cli_read_password(const char *prompt, char *buf, size_t cap,
                               struct adbk_error *err);

#endif
