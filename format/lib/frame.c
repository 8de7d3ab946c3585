/*
 * frame.c - chunk frames (FORMAT.md 3.3): the frame's checksum. The rest of a
 * frame is libzstd's.
 */
#include "frame.h"

#include "bytes.h"

uint32_t chunk_checksum(const uint8_t *frame, size_t len)
{
    return le_get32(frame + len - CHUNK_CHECKSUM);
}
