/* sys/random.h for the Windows build: getrandom() is provided by
 * port/posix_win32.h (force-included), over the system's RNG. */
#ifndef ADBK_W32_SYS_RANDOM_H
#define ADBK_W32_SYS_RANDOM_H
#include "posix_win32.h"
#endif
