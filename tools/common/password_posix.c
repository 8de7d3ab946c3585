/*
 * password_posix.c - cli_read_password on POSIX systems: the controlling
 * terminal (/dev/tty), echo off while the line is read.
 */
#include "password.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

adbk_status cli_read_password(const char *prompt, char *buf, size_t cap,
                               struct adbk_error *err)
{
    if (cap == 0)
        return adbk_error_set(err, ADBK_E_ARG, "no room for a password");
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return adbk_error_set(err, ADBK_E_IO, "a password is needed and there is no terminal to "
                              "ask it on (/dev/tty: %s); set ADBK_PASSWORD instead",
                              strerror(errno));
    struct termios old, quiet;
    int have_tc = tcgetattr(fd, &old) == 0;
    if (have_tc) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    adbk_status st = ADBK_OK;
    if (write(fd, prompt, strlen(prompt)) < 0)
        st = adbk_error_set(err, ADBK_E_IO, "cannot write to the terminal: %s", strerror(errno));
    size_t n = 0;
    while (st == ADBK_OK) {
        char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0 || c == '\n' || c == '\r')
            break;
        if (n + 1 >= cap) {
            st = adbk_error_set(err, ADBK_E_ARG, "the password is longer than %zu bytes",
                                cap - 1);
            break;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    if (have_tc)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* only cosmetic: the newline the user typed was not echoed */
    }
    close(fd);
    if (st != ADBK_OK)
        memset(buf, 0, cap);
    return st;
}
