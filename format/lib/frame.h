/*
 * frame.h - chunk frames (FORMAT.md 3.3), which are plain zstd frames: the
 * one check of a chunk frame's header against the rules of 3.3, shared by the
 * reader (decode.c) and salvage, block headers, by which salvage finds a
 * frame's end, and the frame's own checksum.
 */
#ifndef ADBK_FRAME_H
#define ADBK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a chunk frame's header says. */
struct chunk_head {
    size_t header_size;    /* Frame_Header bytes, magic included */
    uint64_t content_size; /* Frame_Content_Size; 0 when absent or not reached */
    uint64_t window;       /* Window_Size; a single-segment frame's is its content size,
                              which CH_CONTENT bounds */
};

/* The faults chunk_head_check finds, one bit each; callers test them in the
 * order of their own messages. */
enum {
    CH_MAGIC = 1u << 0,       /* not a zstd frame's magic number */
    CH_INCOMPLETE = 1u << 1,  /* the bytes end inside the header: later fields unread */
    CH_RESERVED = 1u << 2,    /* Frame_Header_Descriptor sets its reserved bit */
    CH_NO_CHECKSUM = 1u << 3, /* Content_Checksum_flag is 0 */
    CH_DICTIONARY = 1u << 4,  /* a Dictionary_ID field */
    CH_NO_SIZE = 1u << 5,     /* no Frame_Content_Size field */
    CH_WINDOW_LOG = 1u << 6,  /* a window zstd itself refuses (above ZSTD_WINDOWLOG_MAX) */
    CH_WINDOW = 1u << 7,      /* Window_Descriptor asks for more than ADBK_WINDOW_MAX */
    CH_CONTENT = 1u << 8,     /* content size 0 or above chunk_size */
};

/* Checks the header of the frame whose first n bytes are p against FORMAT.md
 * 3.3, for chunks of at most chunk_size bytes. Returns the faults; *h gets
 * what the header says as far as the bytes reach. */
unsigned chunk_head_check(const uint8_t *p, size_t n, uint64_t chunk_size,
                          struct chunk_head *h);

/* A block header (RFC 8878 3.1.1.2): the 3 bytes before each block. A frame
 * ends after its last block and its 4-byte Content_Checksum. */
#define CHUNK_BLOCK_HEAD 3u
#define CHUNK_CHECKSUM 4u
struct chunk_block {
    bool last;       /* Last_Block */
    unsigned type;   /* Block_Type: 0 raw, 1 RLE, 2 compressed, 3 reserved */
    uint32_t size;   /* Block_Size */
    uint32_t stored; /* bytes of the block after its header: 1 for RLE */
};
enum {
    CB_RESERVED = 1u << 0, /* the reserved Block_Type */
    CB_LARGE = 1u << 1,    /* Block_Size above Block_Maximum_Size, 128 KiB */
};
unsigned chunk_block_decode(const uint8_t p[CHUNK_BLOCK_HEAD], struct chunk_block *b);

/* A whole chunk frame's Content_Checksum (its last 4 bytes): the low 32 bits
 * of XXH64 of its content, which is also its seek-table Checksum. */
uint32_t chunk_checksum(const uint8_t *frame, size_t len);

#endif
