# mingw-w64-x86_64.cmake - the CMake toolchain file for cross-building adbk
# for 64-bit Windows with Debian's mingw-w64 packages (tools/win/build.sh).
#
# Owns: the compilers, the target system and where the cross build looks for
# libraries. Dependencies (libzstd, libxxhash, libsodium) are built from
# Debian's source packages into a prefix named by ADBK_WIN_DEPS
# (tools/win/build.sh passes build-win/deps); pkg-config is pointed there
# only, never at the build machine's own .pc files.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(ADBK_WIN_TRIPLE x86_64-w64-mingw32)
# The POSIX-threads variant of the compiler: libadbk_format uses pthreads
# (winpthreads on Windows), so the -posix compiler is the one to pair with.
find_program(CMAKE_C_COMPILER NAMES ${ADBK_WIN_TRIPLE}-gcc-posix ${ADBK_WIN_TRIPLE}-gcc
             REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${ADBK_WIN_TRIPLE}-windres)
set(CMAKE_AR ${ADBK_WIN_TRIPLE}-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB ${ADBK_WIN_TRIPLE}-ranlib CACHE FILEPATH "ranlib")

set(CMAKE_FIND_ROOT_PATH /usr/${ADBK_WIN_TRIPLE})
if(DEFINED ADBK_WIN_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${ADBK_WIN_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} "${ADBK_WIN_DEPS}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Programs run on Windows; ctest and CMake start them through Wine.
find_program(ADBK_WINE NAMES wine wine64)
if(ADBK_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${ADBK_WINE})
endif()

# One self-contained .exe/.dll: the gcc runtime and winpthreads are linked in,
# so nothing but system DLLs is needed at run time.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ADBK_WIN_DEPS)
