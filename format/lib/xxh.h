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

#include <stdint.h>
#include <string.h>

/* One chunk into a member's content hash (FORMAT.md 3.4: XXH3-128 of the
 * content, in order): chunk 0 starts it over; out gets the canonical hash of
 * the content so far, which is the member's once its last chunk is in. The
 * writer and the reader call it from a chunk job's ordered stage. */
static inline void content_hash_chunk(XXH3_state_t *h, uint64_t chunk, const void *p, size_t n,
                                      uint8_t out[16])
{
    if (chunk == 0)
        XXH3_128bits_reset(h);
    XXH3_128bits_update(h, p, n);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
    memcpy(out, c.digest, 16);
}

/* The content hash of a member with no content. */
static inline void content_hash_empty(uint8_t out[16])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits("", 0));
    memcpy(out, c.digest, 16);
}

#endif
