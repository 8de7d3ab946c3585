/*
 * wtf8.h - UTF-16 <-> UTF-8 conversion that never loses a Windows name.
 *
 * Owns: converting the 16-bit strings of the Win32 and ntdsbcli W calls to
 * the UTF-8 the rest of adbk uses, and back. A Windows name may hold a lone
 * surrogate (legal in a WCHAR string, not in Unicode text); it is carried as
 * WTF-8 (the surrogate's code point encoded in three bytes, as the WTF-8
 * spec does), so the name converts back to the same UTF-16 units and opens
 * the same file. Well-formed text gives ordinary UTF-8.
 * Does not own: any system call; it is plain C, used by the Windows build
 * (posix_win32.c, source_ntdsbcli_win32.c, the simulated DC's DLL).
 *
 * Thread safety: pure functions.
 */
#ifndef ADBK_PLATFORM_WTF8_H
#define ADBK_PLATFORM_WTF8_H

#include <stddef.h>
#include <stdint.h>

/* Converts n units of w (stopping early at a 0 unit) to WTF-8 in out (cap
 * bytes, always NUL-terminated when cap > 0). Returns the bytes needed
 * without the NUL; the result is complete only when that is < cap. */
size_t plat_utf16_to_wtf8(const uint16_t *w, size_t n, char *out, size_t cap);

/* Converts the NUL-terminated WTF-8 string s to UTF-16 in out (cap units,
 * NUL-terminated when cap > 0). Returns the units needed without the NUL, or
 * (size_t)-1 when s is not WTF-8 (bad byte, overlong form, value past
 * U+10FFFF, truncated sequence). */
size_t plat_wtf8_to_utf16(const char *s, uint16_t *out, size_t cap);

/* Allocating forms (free with free()); NULL on bad input or no memory. */
char *plat_utf16_to_wtf8_dup(const uint16_t *w, size_t n);
uint16_t *plat_wtf8_to_utf16_dup(const char *s);

#endif
