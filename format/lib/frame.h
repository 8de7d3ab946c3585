/*
 * frame.h - chunk frames (FORMAT.md 3.3), which are plain zstd frames: the
 * frame's own checksum.
 */
#ifndef ADBK_FRAME_H
#define ADBK_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define CHUNK_CHECKSUM 4u

/* A whole chunk frame's Content_Checksum (its last 4 bytes): the low 32 bits
 * of XXH64 of its content, which is also its seek-table Checksum. */
uint32_t chunk_checksum(const uint8_t *frame, size_t len);

#endif
