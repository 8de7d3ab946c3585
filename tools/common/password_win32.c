/*
 * password_win32.c - cli_read_password on Windows: the console, with
 * ENABLE_ECHO_INPUT cleared while the line is read (ReadConsoleW, so any
 * character arrives; converted to UTF-8).
 */
#include "password.h"

#include <string.h>
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

adbk_status cli_read_password(const char *prompt, char *buf, size_t cap,
                               struct adbk_error *err)
{
    if (cap == 0)
        return adbk_error_set(err, ADBK_E_ARG, "no room for a password");
    HANDLE in = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL,
                            OPEN_EXISTING, 0, NULL);
    HANDLE out = CreateFileW(L"CONOUT$", GENERIC_WRITE, FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                             0, NULL);
    DWORD mode = 0;
    if (in == INVALID_HANDLE_VALUE || !GetConsoleMode(in, &mode)) {
        if (in != INVALID_HANDLE_VALUE)
            CloseHandle(in);
        if (out != INVALID_HANDLE_VALUE)
            CloseHandle(out);
        return adbk_error_set(err, ADBK_E_IO, "a password is needed and there is no console "
                              "to ask it on; set ADBK_PASSWORD instead");
    }
    SetConsoleMode(in, (mode & ~(DWORD)ENABLE_ECHO_INPUT) | ENABLE_LINE_INPUT);
    DWORD wrote;
    if (out != INVALID_HANDLE_VALUE)
        WriteConsoleA(out, prompt, (DWORD)strlen(prompt), &wrote, NULL);
    WCHAR w[512];
    DWORD got = 0;
    BOOL ok = ReadConsoleW(in, w, (DWORD)(sizeof w / sizeof w[0]) - 1, &got, NULL);
    SetConsoleMode(in, mode);
    if (out != INVALID_HANDLE_VALUE) {
        WriteConsoleA(out, "\r\n", 2, &wrote, NULL);
        CloseHandle(out);
    }
    CloseHandle(in);
    while (got > 0 && (w[got - 1] == L'\n' || w[got - 1] == L'\r'))
        got--;
    adbk_status st = ADBK_OK;
    if (!ok)
        st = adbk_error_set(err, ADBK_E_IO, "cannot read from the console (error %lu)",
                            (unsigned long)GetLastError());
    else {
        int n = got ? WideCharToMultiByte(CP_UTF8, 0, w, (int)got, buf, (int)cap - 1, NULL, NULL)
                    : 0;
        if (got && n <= 0)
            st = adbk_error_set(err, ADBK_E_ARG, "the password does not fit in %zu bytes",
                                cap - 1);
        else
            buf[n] = '\0';
    }
    SecureZeroMemory(w, sizeof w);
    if (st != ADBK_OK)
        SecureZeroMemory(buf, cap);
    return st;
}
