/* sys/file.h for the Windows build: flock() and LOCK_* come from
 * port/posix_win32.h (force-included), over LockFileEx. */
#ifndef ADBK_W32_SYS_FILE_H
#define ADBK_W32_SYS_FILE_H
#include "posix_win32.h"
#endif
