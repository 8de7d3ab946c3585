/*
 * frame.c - chunk frames (FORMAT.md 3.3): reading a zstd frame header (RFC
 * 8878 3.1.1.1) far enough to check the rules of 3.3, block headers, and the
 * frame's checksum. The reader checks every chunk's header here before
 * decompressing; salvage, which has no seek table to trust, checks it too
 * and then walks the block headers to find where the frame ends. The rest of
 * a frame is libzstd's.
 */
/* For ZSTD_WINDOWLOG_MAX: the header is refused for a window zstd refuses. */
#define ZSTD_STATIC_LINKING_ONLY
#include "frame.h"

#include "adbk_format.h"
#include "bytes.h"
#include "records.h"

#include <stdbool.h>
#include <string.h>
#include <zstd.h>

/* Frame_Header_Descriptor (RFC 8878 3.1.1.1.1), the byte after the magic. */
#define FHD_AT 4u
#define FHD_DICTIONARY 0x03u   /* Dictionary_ID_flag: the field's size code */
#define FHD_CHECKSUM 0x04u     /* Content_Checksum_flag */
#define FHD_RESERVED 0x08u
#define FHD_SINGLE 0x20u       /* Single_Segment_flag: no Window_Descriptor */
#define FHD_FCS_SHIFT 6        /* Frame_Content_Size_flag: the field's size code */

static const uint8_t dictionary_len[4] = {0, 1, 2, 4};
static const uint8_t content_size_len[4] = {0, 2, 4, 8};

static unsigned descriptor_faults(unsigned fhd)
{
    unsigned f = 0;
    if (fhd & FHD_RESERVED)
        f |= CH_RESERVED;
    if (!(fhd & FHD_CHECKSUM))
        f |= CH_NO_CHECKSUM;
    if (fhd & FHD_DICTIONARY)
        f |= CH_DICTIONARY;
    return f;
}

/* Window_Descriptor (RFC 8878 3.1.1.1.2): exponent and mantissa. */
static unsigned window_faults(uint8_t wd, struct chunk_head *h)
{
    unsigned log = 10 + (wd >> 3);
    h->window = (1ull << log) + ((1ull << log) >> 3) * (wd & 7);
    unsigned f = 0;
    if (log > ZSTD_WINDOWLOG_MAX)
        f |= CH_WINDOW_LOG;
    if (h->window > ADBK_WINDOW_MAX)
        f |= CH_WINDOW;
    return f;
}

/* Frame_Content_Size, len bytes; the 2-byte form counts from 256. */
static uint64_t content_size_read(const uint8_t *p, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return len == 2 ? v + 256 : v;
}

unsigned chunk_head_check(const uint8_t *p, size_t n, uint64_t chunk_size,
                          struct chunk_head *h)
{
    memset(h, 0, sizeof *h);
    unsigned f = frame_magic(p, n) == ZSTD_MAGIC ? 0 : CH_MAGIC;
    if (n <= FHD_AT)
        return f | CH_INCOMPLETE;
    unsigned fhd = p[FHD_AT];
    bool single = fhd & FHD_SINGLE;
    size_t fcs_len = content_size_len[fhd >> FHD_FCS_SHIFT];
    if (fcs_len == 0 && single)
        fcs_len = 1;
    f |= descriptor_faults(fhd) | (fcs_len ? 0 : CH_NO_SIZE);
    h->header_size = FHD_AT + 1 + !single + dictionary_len[fhd & FHD_DICTIONARY] + fcs_len;
    if (!single && n <= FHD_AT + 1)
        return f | CH_INCOMPLETE;
    if (!single)
        f |= window_faults(p[FHD_AT + 1], h);
    if (h->header_size > n)
        return f | CH_INCOMPLETE;
    if (fcs_len == 0)
        return f;
    h->content_size = content_size_read(p + h->header_size - fcs_len, fcs_len);
    if (single)
        h->window = h->content_size;
    if (h->content_size == 0 || h->content_size > chunk_size)
        f |= CH_CONTENT;
    return f;
}

#define BLOCK_MAX (128u << 10) /* Block_Maximum_Size */

unsigned chunk_block_decode(const uint8_t p[CHUNK_BLOCK_HEAD], struct chunk_block *b)
{
    uint32_t h = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    b->last = h & 1;
    b->type = (h >> 1) & 3;
    b->size = h >> 3;
    b->stored = b->type == 1 ? 1 : b->size;
    unsigned f = 0;
    if (b->type == 3)
        f |= CB_RESERVED;
    if (b->size > BLOCK_MAX)
        f |= CB_LARGE;
    return f;
}

uint32_t chunk_checksum(const uint8_t *frame, size_t len)
{
    return le_get32(frame + len - CHUNK_CHECKSUM);
}
