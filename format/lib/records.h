/*
 * records.h - the on-disk structures of FORMAT.md sections 3 and 4, and the
 * only code that reads or writes their fields (records.c).
 *
 * Each structure has a layout struct (`*_disk`: byte arrays, so the compiler
 * lays it out byte for byte; the `+0xNN` comments are checked against it by
 * _Static_assert), a struct of the values it holds, one encoder and one
 * decoder. A fixed part is followed by str16 strings where the format says
 * so; the comments say what follows.
 *
 * Decoders never allocate: strings come back as views into the bytes given
 * (struct str16). They check each field as they read it and return a set of
 * fault bits (0 when nothing is wrong), one bit per rule, so that every caller
 * can test them in the order its own messages need. A decoder that meets a
 * short structure stops there: fields it did not reach are 0.
 */
#ifndef ADBK_RECORDS_H
#define ADBK_RECORDS_H

#include "adbk_format.h"
#include "bytes.h"

#include <stddef.h>
#include <stdint.h>

/* Checks at compile time that a layout field lies where its comment says. */
#define AT(type, field, off) \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field " lies at " #off)

/* ------------------------------------------------------------ magic numbers */

#define REC_MAGIC 0x184D2A5Au          /* adbk record (skippable frame) */
#define SEEK_MAGIC 0x184D2A5Eu         /* seek table (skippable frame) */
#define ZSTD_MAGIC 0xFD2FB528u         /* zstd frame: a chunk */
#define SEEKABLE_FOOTER_MAGIC 0x8F92EAB1u
#define SEEK_DESCRIPTOR 0x80u          /* checksum flag only */
#define EMPTY_XXH64_LOW32 0x51D8E999u  /* a record's seek-table Checksum: XXH64("") */

#define REC_HDR 0x52444841u /* "AHDR" read as LE u32 */
#define REC_MBR 0x52424D41u /* "AMBR" */
#define REC_END 0x444E4541u /* "AEND" */
#define REC_IDX 0x58444941u /* "AIDX" */
#define REC_KEY 0x59454B41u /* "AKEY" (2.0) */
#define REC_CHK 0x4B484341u /* "ACHK" (2.0) */

/* The magic number every frame opens with (the first 4 of n bytes; 0 when
 * n < 4). The one reader of those bytes. */
uint32_t frame_magic(const uint8_t *p, size_t n);
/* Whether p (4 bytes) opens a frame of an adbk archive: record, chunk or
 * seek table. */
bool is_frame_magic(const uint8_t *p);

/* ------------------------------------------------------------ record frame */

/* A record's frame (FORMAT.md 3), a skippable frame. Offsets from the
 * frame's first byte; N is Frame_Size. */
struct rec_disk {
    uint8_t magic[4];      /* +0x00: u32 Magic, REC_MAGIC */
    uint8_t frame_size[4]; /* +0x04: u32 Frame_Size N, 12 <= N <= 256 MiB */
    uint8_t type[4];       /* +0x08: Record_Type, four ASCII letters (REC_*) */
    /* +0x0C: Body, N - 12 bytes (the structures below) */
    /* +N:    u64 Record_Checksum, XXH3-64 of bytes +0x08 .. +N */
};
AT(rec_disk, magic, 0x00);
AT(rec_disk, frame_size, 0x04);
AT(rec_disk, type, 0x08);
#define REC_HEAD 12u                   /* sizeof(struct rec_disk) */
#define REC_CHECKSUM 8u                /* Record_Checksum */
#define SKIPPABLE_HEADER 8u            /* magic + Frame_Size */
#define REC_MIN_PAYLOAD 12u            /* type + checksum */
#define REC_MAX_PAYLOAD (256u << 20)
#define REC_FRAME_MIN (SKIPPABLE_HEADER + REC_MIN_PAYLOAD)
_Static_assert(sizeof(struct rec_disk) == REC_HEAD, "record head");

struct rec_head {
    uint32_t magic, frame_size, type;
};
enum {
    RH_MAGIC = 1u << 0, /* not REC_MAGIC */
    RH_SIZE = 1u << 1,  /* Frame_Size outside 12 .. 256 MiB */
    RH_TYPE = 1u << 2,  /* none of the four record types (or not read: n < 12) */
};
/* Decodes the first n bytes (at least 8) of a frame that may be a record:
 * type is 0 when n < 12. Lets a reader learn a record's size before reading
 * all of it. */
unsigned rec_head_decode(const uint8_t *p, size_t n, struct rec_head *h);

/* Writes a record frame's head (magic, Frame_Size, type) for a body of
 * body_len bytes into frame, and, with rec_seal_frame, its checksum once the
 * body is in place: for a frame built where its body was made (a chunk
 * record, by a worker). The frame is REC_HEAD + body_len + REC_CHECKSUM
 * bytes. */
void rec_head_encode(uint32_t type, size_t body_len, uint8_t *frame);
void rec_seal_frame(uint8_t *frame, size_t frame_len);

/* Encodes a record frame around body: head, body, checksum. Returns a
 * malloc'd frame in *out and *out_len, or ADBK_E_NOMEM / ADBK_E_LIMIT. */
adbk_status rec_build(uint32_t type, const uint8_t *body, size_t body_len, uint8_t **out,
                      size_t *out_len, struct adbk_error *err);

/* Decodes a whole record frame in buf (len bytes): magic, Frame_Size ==
 * len - 8, checksum, type == want_type (0 = any). On success body/body_len
 * point into buf. what/offset name the place in messages; what NULL leaves
 * the archive unnamed (for a message that names it already). */
adbk_status rec_check(const uint8_t *buf, size_t len, uint32_t want_type, const uint8_t **body,
                      size_t *body_len, const char *what, uint64_t offset,
                      struct adbk_error *err);

const char *rec_type_name(uint32_t type);

/* ------------------------------------------------------------ header record */

#define HDR_FLAG_ENCRYPTED 0x1u /* Header_Flags bit 0 (13): format 2.0 */
#define HDR_FLAG_SIGNED 0x2u    /* Header_Flags bit 1 (12) */

/* The header record's body (FORMAT.md 3.1). Offsets from the body's first
 * byte, which is file offset 12. */
struct hdr_disk {
    uint8_t format_major[2]; /* +0x00: u16 Format_Major, 1 */
    uint8_t format_minor[2]; /* +0x02: u16 Format_Minor */
    uint8_t flags[4];        /* +0x04: u32 Header_Flags, 0 */
    uint8_t archive_id[16];  /* +0x08: Archive_Id */
    uint8_t created[8];      /* +0x18: i64 Created, Unix seconds */
    uint8_t chunk_size[4];   /* +0x20: u32 Chunk_Size, 4 KiB .. 128 MiB */
    /* +0x24: str16 Tool */
};
AT(hdr_disk, format_major, 0x00);
AT(hdr_disk, format_minor, 0x02);
AT(hdr_disk, flags, 0x04);
AT(hdr_disk, archive_id, 0x08);
AT(hdr_disk, created, 0x18);
AT(hdr_disk, chunk_size, 0x20);
#define HDR_FIXED 36u
_Static_assert(sizeof(struct hdr_disk) == HDR_FIXED, "header body, fixed part");

/* Field by field as in hdr_disk. */
struct hdr_rec {
    uint16_t format_major, format_minor;
    uint32_t flags;
    uint8_t archive_id[16];
    int64_t created;
    uint32_t chunk_size;
    struct str16 tool;
};
enum {
    HDR_NEWER = 1u << 0,      /* Format_Major above this reader's (known with 4 bytes) */
    HDR_SHORT = 1u << 1,      /* body shorter than the fixed part */
    HDR_TOOL_SHORT = 1u << 2, /* Tool runs past the body */
    HDR_MAJOR0 = 1u << 3,     /* Format_Major 0, which never existed */
    HDR_CHUNK_SIZE = 1u << 4, /* Chunk_Size outside ADBK_CHUNK_MIN .. ADBK_CHUNK_MAX */
    HDR_ENCRYPTION = 1u << 5, /* the Encrypted flag without format 2, or format 2 without it */
};
void hdr_encode(const struct hdr_rec *h, struct bytebuf *b);
unsigned hdr_decode(const uint8_t *body, size_t len, struct hdr_rec *h);

/* ------------------------------------------------------------ owner and attributes */

/* Format 1.1 adds two optional parts to the member record and the index
 * entry, after Source_Path, each present only with its Member_Flags bit:
 * the owner (bit 3, ADBK_HAS_OWNER), then the attribute list (bit 4,
 * ADBK_HAS_XATTRS). mbr_decode and entry_decode read them; their faults
 * (OX_*) are bits of their own, above those of either decoder, returned as
 * they are. */
#define OWNER_NAME_MAX 255u          /* User, Group */
#define XATTR_NAME_MAX 255u          /* an attribute's Name: 1 .. 255 bytes */
#define XATTR_VALUE_MAX 65536u       /* Value_Size: Linux's XATTR_SIZE_MAX */
#define XATTR_LIST_MAX (256u << 10)  /* Xattr_Count and every attribute, in bytes */
#define NO_ID 0xFFFFFFFFu            /* (uid_t)-1: what chown reads as "unchanged" */

/* The owner. Offsets from its first byte:
 *   +0x00: u32 Uid, not NO_ID
 *   +0x04: u32 Gid, not NO_ID
 *   +0x08: str16 User, then str16 Group: 0 .. 255 bytes, no NUL */
struct owner_disk {
    uint8_t uid[4]; /* +0x00: u32 Uid */
    uint8_t gid[4]; /* +0x04: u32 Gid */
    /* +0x08: str16 User, then str16 Group */
};
AT(owner_disk, uid, 0x00);
AT(owner_disk, gid, 0x04);
#define OWNER_FIXED 8u
_Static_assert(sizeof(struct owner_disk) == OWNER_FIXED, "owner, fixed part");

/* Field by field as in owner_disk. */
struct owner_rec {
    uint32_t uid, gid;
    struct str16 user, group;
};

/* One extended attribute. Offsets from its first byte, K its name's length:
 *   +0x00:  str16 Name, 1 .. 255 bytes, no NUL
 *   +2+K:   u32 Value_Size, at most XATTR_VALUE_MAX
 *   +6+K:   Value, Value_Size bytes (binary) */
struct xattr_rec {
    struct str16 name;
    uint32_t size;
    const uint8_t *value;
};

/* A member's attribute list: u16 Xattr_Count, then that many attributes,
 * names in strictly increasing byte order. p/len are the attributes' bytes
 * (after Xattr_Count): records and entries carry the same bytes, so they
 * compare byte for byte, and a writer encodes them once. */
struct xattr_list {
    uint16_t count;
    const uint8_t *p;
    size_t len;
};

enum {
    OX_SHORT = 1u << 16,      /* the owner or the attributes run past the record or entry */
    OX_OWNER_NAME = 1u << 17, /* User or Group over 255 bytes or holding a NUL */
    OX_ID = 1u << 18,         /* Uid or Gid NO_ID */
    OX_NAME = 1u << 19,       /* an attribute name empty, over 255 bytes or holding a NUL */
    OX_VALUE = 1u << 20,      /* a Value_Size over XATTR_VALUE_MAX */
    OX_ORDER = 1u << 21,      /* names not in strictly increasing order (or one twice) */
    OX_TOTAL = 1u << 22,      /* the list over XATTR_LIST_MAX bytes */
};
#define OX_FAULTS (OX_SHORT | OX_OWNER_NAME | OX_ID | OX_NAME | OX_VALUE | OX_ORDER | OX_TOTAL)

void owner_encode(const struct owner_rec *o, struct bytebuf *b);
unsigned owner_decode(struct cursor *c, struct owner_rec *o);
void xattr_encode(const struct xattr_rec *x, struct bytebuf *b);
/* Decodes the attribute at c's position and moves past it. */
unsigned xattr_decode(struct cursor *c, struct xattr_rec *x);
/* Encodes Xattr_Count and the attribute bytes l->p (made by xattr_encode). */
void xattr_list_encode(const struct xattr_list *l, struct bytebuf *b);
/* Decodes and checks a whole list (every attribute, their order, the size)
 * at c's position and moves past it. */
unsigned xattr_list_decode(struct cursor *c, struct xattr_list *l);

/* ------------------------------------------------------------ member record */

/* The member record's body (FORMAT.md 3.2). Offsets from the body's first
 * byte (record offset +0x0C). */
struct mbr_disk {
    uint8_t number[8];        /* +0x00: u64 Member_Number */
    uint8_t kind;             /* +0x08: u8 Kind (FORMAT.md 5), not 0 */
    uint8_t bft;              /* +0x09: u8 BFT */
    uint8_t flags[2];         /* +0x0A: u16 Member_Flags, ADBK_HAS_* */
    uint8_t expected_size[8]; /* +0x0C: u64 Expected_Size, 0 without its flag */
    uint8_t mtime_sec[8];     /* +0x14: i64 Mtime_Sec, 0 without its flag */
    uint8_t mtime_nsec[4];    /* +0x1C: u32 Mtime_Nsec, <= 999,999,999 */
    uint8_t mode[4];          /* +0x20: u32 Mode, 0 without its flag */
    /* +0x24: str16 Name, then str16 Source_Path; then, with bit 3, the owner
     * (owner_*), and with bit 4, the attribute list (xattr_list_*) */
};
AT(mbr_disk, number, 0x00);
AT(mbr_disk, kind, 0x08);
AT(mbr_disk, bft, 0x09);
AT(mbr_disk, flags, 0x0A);
AT(mbr_disk, expected_size, 0x0C);
AT(mbr_disk, mtime_sec, 0x14);
AT(mbr_disk, mtime_nsec, 0x1C);
AT(mbr_disk, mode, 0x20);
#define MBR_FIXED 36u
_Static_assert(sizeof(struct mbr_disk) == MBR_FIXED, "member body, fixed part");

/* Field by field as in mbr_disk. Decoded flags keep the five known bits
 * only, and mode its permission bits (Mode & 0o7777, FORMAT.md 3.2); the
 * rules below are checked on the stored values. owner and xattrs are read
 * with their flag bits only (zero otherwise). */
struct mbr_rec {
    uint64_t number;
    unsigned kind, bft, flags;
    uint64_t expected_size;
    int64_t mtime_sec;
    uint32_t mtime_nsec, mode;
    struct str16 name, source_path;
    struct owner_rec owner;
    struct xattr_list xattrs;
};
enum {
    MBR_SHORT = 1u << 0,            /* the fixed part or a string runs past the body */
    MBR_NUL = 1u << 1,              /* a NUL byte in Name or Source_Path */
    MBR_KIND0 = 1u << 2,            /* Kind 0 */
    MBR_NSEC = 1u << 3,             /* Mtime_Nsec above 999,999,999 */
    MBR_MTIME_NOFLAG = 1u << 4,     /* a mtime without bit 0 */
    MBR_MODE_NOFLAG = 1u << 5,      /* a mode without bit 1 */
    MBR_EXPECTED_NOFLAG = 1u << 6,  /* an expected size without bit 2 */
    /* and the OX_* faults of the owner and the attributes */
};
void mbr_encode(const struct mbr_rec *m, struct bytebuf *b);
unsigned mbr_decode(const uint8_t *body, size_t len, struct mbr_rec *m);

/* ------------------------------------------------------------ member-end record */

/* The member-end record's body (FORMAT.md 3.4). Offsets from the body's
 * first byte (record offset +0x0C). */
struct end_disk {
    uint8_t number[8];        /* +0x00: u64 Member_Number */
    uint8_t size[8];          /* +0x08: u64 Size, content bytes */
    uint8_t chunk_count[8];   /* +0x10: u64 Chunk_Count */
    uint8_t content_hash[16]; /* +0x18: XXH3-128 of the content, canonical */
};
AT(end_disk, number, 0x00);
AT(end_disk, size, 0x08);
AT(end_disk, chunk_count, 0x10);
AT(end_disk, content_hash, 0x18);
#define END_FIXED 40u
_Static_assert(sizeof(struct end_disk) == END_FIXED, "member-end body");

/* Field by field as in end_disk. */
struct end_rec {
    uint64_t number, size, chunk_count;
    uint8_t content_hash[16];
};
enum {
    END_SHORT = 1u << 0, /* body shorter than the fields */
};
void end_encode(const struct end_rec *e, struct bytebuf *b);
unsigned end_decode(const uint8_t *body, size_t len, struct end_rec *e);

/* ------------------------------------------------------------ index record */

/* The index record's body (FORMAT.md 3.5), up to its properties. Offsets
 * from the body's first byte (record offset +0x0C). */
struct idx_disk {
    uint8_t archive_id[16];   /* +0x00: Archive_Id, as in the header */
    uint8_t created[8];       /* +0x10: i64 Created, as in the header */
    uint8_t member_count[8];  /* +0x18: u64 Member_Count */
    uint8_t index_frame[8];   /* +0x20: u64 Index_Frame, this record's frame number */
    uint8_t index_offset[8];  /* +0x28: u64 Index_Offset, this record's file offset */
    /* +0x30: str16 Tool, then u32 Property_Count, the properties (prop_*)
     * and Member_Count entries (entry_*) */
};
AT(idx_disk, archive_id, 0x00);
AT(idx_disk, created, 0x10);
AT(idx_disk, member_count, 0x18);
AT(idx_disk, index_frame, 0x20);
AT(idx_disk, index_offset, 0x28);
#define IDX_FIXED 48u
_Static_assert(sizeof(struct idx_disk) == IDX_FIXED, "index body, fixed part");

/* Field by field as in idx_disk, with Tool and Property_Count; `rest` is
 * where the properties start (offset in the body). */
struct idx_rec {
    uint8_t archive_id[16];
    int64_t created;
    uint64_t member_count, index_frame, index_offset;
    struct str16 tool;
    uint32_t property_count;
    size_t rest;
};
enum {
    IDX_SHORT = 1u << 0,    /* the fixed part, Tool or Property_Count runs past the body */
    IDX_TOOL_NUL = 1u << 1, /* a NUL byte in Tool */
    IDX_COUNTS = 1u << 2,   /* more properties (4 bytes at least) or entries (92) than
                               the bytes after Property_Count hold */
};
/* Encodes the fields up to Property_Count; properties and entries follow. */
void idx_encode(const struct idx_rec *x, struct bytebuf *b);
unsigned idx_decode(const uint8_t *body, size_t len, struct idx_rec *x);

/* A property (FORMAT.md 7): two strings. Offsets from its first byte, K the
 * key's length:
 *   +0x00:  str16 key
 *   +2+K:   str16 value */
struct prop_rec {
    struct str16 key, value;
};
enum {
    PROP_SHORT = 1u << 0, /* a string runs past the bytes */
    PROP_NUL = 1u << 1,   /* a NUL byte in key or value */
};
void prop_encode(const struct prop_rec *p, struct bytebuf *b);
/* Decodes the property at c's position and moves past it. */
unsigned prop_decode(struct cursor *c, struct prop_rec *p);

/* An index entry (FORMAT.md 3.5). Offsets from the entry's first byte. */
struct entry_disk {
    uint8_t entry_size[4];    /* +0x00: u32 Entry_Size, this field included, >= 92 */
    uint8_t kind;             /* +0x04: u8 Kind, not 0 */
    uint8_t bft;              /* +0x05: u8 BFT */
    uint8_t flags[2];         /* +0x06: u16 Member_Flags, bits 0, 1, 3 and 4 */
    uint8_t size[8];          /* +0x08: u64 Size */
    uint8_t mtime_sec[8];     /* +0x10: i64 Mtime_Sec, 0 without its flag */
    uint8_t mtime_nsec[4];    /* +0x18: u32 Mtime_Nsec, <= 999,999,999 */
    uint8_t mode[4];          /* +0x1C: u32 Mode, 0 without its flag */
    uint8_t first_frame[8];   /* +0x20: u64 First_Frame, of the member record */
    uint8_t offset[8];        /* +0x28: u64 Offset, of the member record */
    uint8_t chunk_count[8];   /* +0x30: u64 Chunk_Count */
    uint8_t span[8];          /* +0x38: u64 Span, member record to member-end record */
    uint8_t content_hash[16]; /* +0x40: XXH3-128 of the content, canonical */
    uint8_t span_hash[8];     /* +0x50: u64 Span_Hash, XXH3-64 of the Span bytes */
    /* +0x58: str16 Name, then str16 Source_Path; then the owner with bit 3
     * and the attribute list with bit 4, as in the member record; all inside
     * Entry_Size */
};
AT(entry_disk, entry_size, 0x00);
AT(entry_disk, kind, 0x04);
AT(entry_disk, bft, 0x05);
AT(entry_disk, flags, 0x06);
AT(entry_disk, size, 0x08);
AT(entry_disk, mtime_sec, 0x10);
AT(entry_disk, mtime_nsec, 0x18);
AT(entry_disk, mode, 0x1C);
AT(entry_disk, first_frame, 0x20);
AT(entry_disk, offset, 0x28);
AT(entry_disk, chunk_count, 0x30);
AT(entry_disk, span, 0x38);
AT(entry_disk, content_hash, 0x40);
AT(entry_disk, span_hash, 0x50);
#define ENTRY_FIXED 88u
#define ENTRY_MIN (ENTRY_FIXED + 4u)   /* with two empty strings */
_Static_assert(sizeof(struct entry_disk) == ENTRY_FIXED, "index entry, fixed part");

/* Field by field as in entry_disk. Decoded flags keep bits 0, 1, 3 and 4
 * only, mode its permission bits (the rules below are checked on the stored
 * values); the encoder computes entry_size. */
struct entry_rec {
    uint32_t entry_size;
    unsigned kind, bft, flags;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec, mode;
    uint64_t first_frame, offset, chunk_count, span;
    uint8_t content_hash[16];
    uint64_t span_hash;
    struct str16 name, source_path;
    struct owner_rec owner;
    struct xattr_list xattrs;
    /* Encode: a Span_Digest to end the entry with (12), or NULL. Decode: the
     * entry's last SPAN_DIGEST bytes when it holds that many past its known
     * fields (the reader takes them as the digest when the archive is signed),
     * else NULL. */
    const uint8_t *digest;
};
enum {
    ENT_SIZE = 1u << 0,         /* Entry_Size below 92 or past the bytes: nothing else read */
    ENT_SHORT = 1u << 1,        /* a string runs past Entry_Size */
    ENT_NUL = 1u << 2,          /* a NUL byte in Name or Source_Path */
    ENT_EMPTY = 1u << 3,        /* an empty Name */
    ENT_KIND0 = 1u << 4,        /* Kind 0 */
    ENT_NSEC = 1u << 5,         /* Mtime_Nsec above 999,999,999 */
    ENT_MTIME_NOFLAG = 1u << 6, /* a mtime without bit 0 */
    ENT_MODE_NOFLAG = 1u << 7,  /* a mode without bit 1 */
    /* and the OX_* faults of the owner and the attributes */
};
void entry_encode(const struct entry_rec *e, struct bytebuf *b);
/* Decodes the entry at c's position and, unless ENT_SIZE, moves past it
 * (by Entry_Size). */
unsigned entry_decode(struct cursor *c, struct entry_rec *e);

/* ------------------------------------------------------------ signatures (12) */

#define SPAN_DIGEST 32u /* an entry's Span_Digest: its last 32 bytes when signed */

/* The signature trailer, the index body's last 134 bytes when signed.
 * Offsets from its first byte. */
struct sig_disk {
    uint8_t magic[4];         /* +0x00: Trailer_Magic, "ASIG" */
    uint8_t algorithm[2];     /* +0x04: u16 Signature_Algorithm, 1 = Ed25519 */
    uint8_t prefix_digest[32];/* +0x06: Prefix_Digest */
    uint8_t public_key[32];   /* +0x26: Ed25519 Public_Key */
    uint8_t signature[64];    /* +0x46: Signature */
};
AT(sig_disk, magic, 0x00);
AT(sig_disk, algorithm, 0x04);
AT(sig_disk, prefix_digest, 0x06);
AT(sig_disk, public_key, 0x26);
AT(sig_disk, signature, 0x46);
#define SIG_FIXED 134u
#define SIG_MAGIC 0x47495341u    /* "ASIG" read as LE u32 */
#define SIG_ED25519 1u
_Static_assert(sizeof(struct sig_disk) == SIG_FIXED, "signature trailer");
/* What the signature covers: the trailer's bytes before Signature. */
#define SIG_SIGNED_PART (SIG_FIXED - 64u)

struct sig_rec {
    uint32_t magic;
    uint16_t algorithm;
    uint8_t prefix_digest[32], public_key[32], signature[64];
};
enum {
    SIG_BAD_MAGIC = 1u << 0,     /* not "ASIG" */
    SIG_BAD_ALGORITHM = 1u << 1, /* not Ed25519 */
};
/* Encodes the trailer without its Signature (SIG_SIGNED_PART bytes): the
 * signature is appended once the index hash is known. */
void sig_encode_signed_part(const struct sig_rec *s, struct bytebuf *b);
/* Decodes the trailer at p (SIG_FIXED bytes). */
unsigned sig_decode(const uint8_t p[SIG_FIXED], struct sig_rec *s);

/* ------------------------------------------------------------ encryption (13) */

/* The key record's body (13.4): u16 Stanza_Count, the stanzas, then the
 * 32-byte Header_MAC. A stanza: str16 Type, u16 Arg_Count, Args (str16
 * each), str16 Body. */
#define KEY_MAX_STANZAS 1024u
#define KEY_MAX_ARGS 16u
#define KEY_TYPE_MAX 64u
#define KEY_REC_MAX (1u << 20)
#define KEY_MAC 32u

struct stanza_rec {
    struct str16 type;
    uint16_t arg_count;
    struct str16 args[KEY_MAX_ARGS];
    struct str16 body;
};
enum {
    KEY_SHORT = 1u << 0,   /* a field runs past the body */
    KEY_COUNT = 1u << 1,   /* Stanza_Count 0 or over 1,024 */
    KEY_ARGS = 1u << 2,    /* Arg_Count over 16 */
    KEY_TYPE = 1u << 3,    /* a Type empty, over 64 bytes or not printable ASCII */
    KEY_TRAILING = 1u << 4,/* bytes between the last stanza and Header_MAC */
    /* found where the X25519 stanza is known (keyrec.c, 13.4): */
    KEY_X25519 = 1u << 5,  /* an X25519 stanza not of one 32-byte share and a 32-byte body */
    KEY_WEAK = 1u << 6,    /* an X25519 share that gives an all-zero shared secret */
};
void key_count_encode(uint16_t count, struct bytebuf *b);
void stanza_encode(const struct stanza_rec *s, struct bytebuf *b);
/* Decodes Stanza_Count at the body's start; *mac points at Header_MAC (the
 * body's last 32 bytes), *mac_at is its offset in the body. Stanzas are then
 * read with stanza_decode from a cursor over body[2 .. mac_at). */
unsigned key_decode(const uint8_t *body, size_t len, uint16_t *count, size_t *mac_at);
unsigned stanza_decode(struct cursor *c, struct stanza_rec *s);

/* The clear parts of sealed records (13.5): Member_Number, and for a chunk
 * record its Chunk_Index, for a member-end record Size and Chunk_Count;
 * the sealed bytes follow. */
#define SMBR_CLEAR 8u
#define CHK_CLEAR 16u
#define SEND_CLEAR 24u
/* Where a chunk record's sealed chunk frame starts in its record frame. */
#define CHK_SEALED_AT (REC_HEAD + CHK_CLEAR)
/* A chunk record's frame size for a chunk frame of n bytes. */
#define CHK_FRAME_SIZE(n) (REC_HEAD + CHK_CLEAR + (n) + 16u + REC_CHECKSUM)

struct sealed_rec {
    uint64_t number;        /* Member_Number */
    uint64_t chunk;         /* ACHK: Chunk_Index */
    uint64_t size, chunk_count; /* AEND */
    size_t clear_len;       /* bytes of the clear part: the AD */
    const uint8_t *sealed;  /* ciphertext and tag */
    size_t sealed_len;
};
enum {
    SEALED_SHORT = 1u << 0, /* the clear part and a tag do not fit the body */
};
/* The clear part of a sealed record of type REC_MBR, REC_CHK or REC_END
 * (written at the body's start; the caller appends the sealed bytes). */
void sealed_clear_encode(uint32_t type, const struct sealed_rec *r, struct bytebuf *b);
void chk_clear_encode(uint64_t number, uint64_t chunk, uint8_t out[CHK_CLEAR]);
unsigned sealed_decode(uint32_t type, const uint8_t *body, size_t len, struct sealed_rec *r);

/* The encrypted index's body (13.6), up to its clear entries. */
struct eidx_disk {
    uint8_t archive_id[16];  /* +0x00 */
    uint8_t created[8];      /* +0x10 */
    uint8_t member_count[8]; /* +0x18 */
    uint8_t index_frame[8];  /* +0x20 */
    uint8_t index_offset[8]; /* +0x28 */
    uint8_t not_after[8];    /* +0x30: i64 Not_After, 0 unknown */
    /* +0x38: clear entries, then u32 Sealed_Size and the sealed index */
};
AT(eidx_disk, archive_id, 0x00);
AT(eidx_disk, created, 0x10);
AT(eidx_disk, member_count, 0x18);
AT(eidx_disk, index_frame, 0x20);
AT(eidx_disk, index_offset, 0x28);
AT(eidx_disk, not_after, 0x30);
#define EIDX_FIXED 56u
_Static_assert(sizeof(struct eidx_disk) == EIDX_FIXED, "encrypted index, fixed part");

struct eidx_rec {
    uint8_t archive_id[16];
    int64_t created, not_after;
    uint64_t member_count, index_frame, index_offset;
};
enum {
    EIDX_SHORT = 1u << 0,  /* the fixed part runs past the body */
    EIDX_COUNTS = 1u << 1, /* more entries (56 bytes) than the body holds */
};
void eidx_encode(const struct eidx_rec *x, struct bytebuf *b);
unsigned eidx_decode(const uint8_t *body, size_t len, struct eidx_rec *x);

/* A clear entry (13.6). */
struct centry_disk {
    uint8_t entry_size[4];  /* +0x00: u32 Entry_Size, >= 56 */
    uint8_t flags[4];       /* +0x04: u32 Entry_Flags, 0 */
    uint8_t size[8];        /* +0x08 */
    uint8_t first_frame[8]; /* +0x10 */
    uint8_t offset[8];      /* +0x18 */
    uint8_t chunk_count[8]; /* +0x20 */
    uint8_t span[8];        /* +0x28 */
    uint8_t span_hash[8];   /* +0x30 */
    /* +0x38: with a signature, the entry ends with its Span_Digest */
};
AT(centry_disk, entry_size, 0x00);
AT(centry_disk, flags, 0x04);
AT(centry_disk, size, 0x08);
AT(centry_disk, first_frame, 0x10);
AT(centry_disk, offset, 0x18);
AT(centry_disk, chunk_count, 0x20);
AT(centry_disk, span, 0x28);
AT(centry_disk, span_hash, 0x30);
#define CENTRY_FIXED 56u
_Static_assert(sizeof(struct centry_disk) == CENTRY_FIXED, "clear entry, fixed part");

struct centry_rec {
    uint32_t entry_size;
    uint64_t size, first_frame, offset, chunk_count, span, span_hash;
    const uint8_t *digest;  /* encode: Span_Digest to append, or NULL; decode: the
                             * entry's last 32 bytes when it has them */
};
enum {
    CENT_SIZE = 1u << 0,    /* Entry_Size below 56 or past the bytes */
};
void centry_encode(const struct centry_rec *e, struct bytebuf *b);
unsigned centry_decode(struct cursor *c, struct centry_rec *e);

/* ------------------------------------------------------------ seek table */

/* The seek table's frame header (FORMAT.md 4). Offsets from the seek
 * table's first byte. */
struct seek_head_disk {
    uint8_t magic[4];      /* +0x00: u32 Skippable_Magic_Number, SEEK_MAGIC */
    uint8_t frame_size[4]; /* +0x04: u32 Frame_Size, 12 x Number_Of_Frames + 9 */
    /* +0x08: the seek-table entries, then the footer */
};
AT(seek_head_disk, magic, 0x00);
AT(seek_head_disk, frame_size, 0x04);
_Static_assert(sizeof(struct seek_head_disk) == SKIPPABLE_HEADER, "seek table frame header");

/* Field by field as in seek_head_disk. */
struct seek_head {
    uint32_t magic, frame_size;
};
enum {
    SH_MAGIC = 1u << 0, /* not SEEK_MAGIC */
};
/* The Frame_Size a seek table of nframes entries has. */
uint64_t seek_frame_size(uint64_t nframes);
void seek_head_encode(uint64_t nframes, uint8_t out[SKIPPABLE_HEADER]);
unsigned seek_head_decode(const uint8_t in[SKIPPABLE_HEADER], struct seek_head *h);

/* A seek-table entry (FORMAT.md 4). Offsets from the entry's first byte;
 * entry k starts at seek_entry_at(table, k). */
struct seek_entry_disk {
    uint8_t csize[4];    /* +0x00: u32 Compressed_Size, the whole frame */
    uint8_t dsize[4];    /* +0x04: u32 Decompressed_Size, 0 for a record */
    uint8_t checksum[4]; /* +0x08: u32 Checksum, low 32 bits of XXH64 of the content */
};
AT(seek_entry_disk, csize, 0x00);
AT(seek_entry_disk, dsize, 0x04);
AT(seek_entry_disk, checksum, 0x08);
#define SEEK_ENTRY_SIZE 12u
_Static_assert(sizeof(struct seek_entry_disk) == SEEK_ENTRY_SIZE, "seek-table entry");

/* Field by field as in seek_entry_disk. */
struct seek_entry {
    uint32_t csize, dsize, checksum;
};
/* The file offset of entry k of the seek table that starts at table. */
static inline uint64_t seek_entry_at(uint64_t table, uint64_t k)
{
    return table + sizeof(struct seek_head_disk) + k * sizeof(struct seek_entry_disk);
}
void seek_entry_encode(const struct seek_entry *e, uint8_t out[SEEK_ENTRY_SIZE]);
void seek_entry_decode(const uint8_t in[SEEK_ENTRY_SIZE], struct seek_entry *e);

/* The seek table's footer (FORMAT.md 4), its last 9 bytes. Offsets from the
 * footer's first byte (file size - 9). */
struct seek_foot_disk {
    uint8_t frames[4];  /* +0x00: u32 Number_Of_Frames */
    uint8_t descriptor; /* +0x04: u8 Seek_Table_Descriptor, SEEK_DESCRIPTOR */
    uint8_t magic[4];   /* +0x05: u32 Seekable_Magic_Number, SEEKABLE_FOOTER_MAGIC */
};
AT(seek_foot_disk, frames, 0x00);
AT(seek_foot_disk, descriptor, 0x04);
AT(seek_foot_disk, magic, 0x05);
#define SEEK_FOOTER_SIZE 9u
_Static_assert(sizeof(struct seek_foot_disk) == SEEK_FOOTER_SIZE, "seek-table footer");

/* Field by field as in seek_foot_disk. */
struct seek_foot {
    uint32_t frames;
    uint8_t descriptor;
    uint32_t magic;
};
enum {
    SF_MAGIC = 1u << 0,      /* not SEEKABLE_FOOTER_MAGIC */
    SF_DESCRIPTOR = 1u << 1, /* a descriptor other than SEEK_DESCRIPTOR */
};
/* The whole seek table's size, frame header to footer, for nframes entries. */
uint64_t seek_table_size(uint64_t nframes);
void seek_foot_encode(uint64_t nframes, uint8_t out[SEEK_FOOTER_SIZE]);
unsigned seek_foot_decode(const uint8_t in[SEEK_FOOTER_SIZE], struct seek_foot *f);

#undef AT

#endif
