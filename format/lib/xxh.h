/*
 * xxh.h - libxxhash for the container library.
 *
 * On x86-64, where the library exports them (Debian's does), XXH3's
 * streaming updates and one-shot hashes go through libxxhash's own runtime
 * dispatch, which picks its SSE2, AVX2 or AVX-512 code for the CPU it runs
 * on: the same hashes, two to three times the speed of the SSE2 code a
 * library built for any x86-64 otherwise runs (XXH3 was a fifth of a
 * verify's CPU time; tools/PROFILE.md). CMake defines ADBK_XXH_DISPATCH when
 * xxh_x86dispatch.h and its functions are there.
 */
#ifndef ADBK_XXH_H
#define ADBK_XXH_H

#include <xxhash.h>
#ifdef ADBK_XXH_DISPATCH
#include <xxh_x86dispatch.h>
#endif

#endif
