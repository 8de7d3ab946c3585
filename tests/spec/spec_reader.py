#!/usr/bin/python3
"""An independent reader for the .adbk container, written from format/FORMAT.md alone.

It does not share any code with adbk: it exists to prove that the specification is
enough, and to serve as a reference for anyone who must read an archive without adbk.
Section numbers (§) refer to format/FORMAT.md, version 1.1.

Usage:
    spec_reader.py [--format 1.0] COMMAND ...
    spec_reader.py list [--long] ARCHIVE     one line per member: KIND SIZE XXH128 NAME, and
                                             with --long OWNER and XATTRS (format 1.1)
    spec_reader.py verify ARCHIVE            every check of §8; prints OK or the problems
    spec_reader.py extract ARCHIVE DIR [--unknown-kinds]
    spec_reader.py cat ARCHIVE NAME          one member's content to standard output

--format 1.0 makes it a strict 1.0 reader: it knows only the fields and flag bits of
version 1.0 and must still read any 1.x archive (§3: bytes past the known fields and
unknown flag bits are ignored), which is how a 1.0 reader meets a 1.1 archive.

Exit status: 0 success, 1 damaged archive / not an archive / refused, 2 usage error.

Needs Python 3 with the modules `zstandard` and `xxhash`
(Debian: apt-get install python3-zstandard python3-xxhash).
"""

import base64
import os
import struct
import sys
from dataclasses import dataclass, field

import xxhash
import zstandard

# --- Constants (§3, §4, §9) --------------------------------------------------------

RECORD_MAGIC = 0x184D2A5A
SEEK_TABLE_MAGIC = 0x184D2A5E
SKIPPABLE_FIRST, SKIPPABLE_LAST = 0x184D2A50, 0x184D2A5F
ZSTD_MAGIC = 0xFD2FB528
SEEKABLE_FOOTER_MAGIC = 0x8F92EAB1
SEEK_TABLE_DESCRIPTOR = 0x80
SEEK_FOOTER_SIZE = 9           # Number_Of_Frames, descriptor, seekable magic
SEEK_ENTRY_SIZE = 12
RECORD_EMPTY_CHECKSUM = 0x51D8E999   # low 32 bits of XXH64 of no bytes

MIN_RECORD_PAYLOAD = 12
MAX_RECORD_PAYLOAD = 268_435_456
MIN_CHUNK_SIZE = 4096
MAX_CHUNK_SIZE = 268_435_456
MAX_NAME_BYTES = 4095
MAX_PROPERTY_KEY = 64
MAX_PROPERTY_VALUE = 4096
INDEX_BYTES_PER_MEMBER = 88    # §9: Member_Count <= index size / 88
ZSTD_MAX_BLOCK = 128 * 1024

FORMAT_MAJOR = 1

# Fixed part of each body (§3.1 - §3.5): what a 1.0 reader requires at least.
HEADER_FIXED = 36          # up to and excluding Tool
MEMBER_FIXED = 36          # up to and excluding Name
END_FIXED = 40
INDEX_FIXED = 48           # up to and excluding Tool
ENTRY_FIXED = 88           # up to and excluding Name

FLAG_MTIME, FLAG_MODE, FLAG_EXPECTED_SIZE = 1, 2, 4
FLAG_OWNER, FLAG_XATTRS = 8, 16          # format 1.1 (§3.2)

# §3.2 and §9, format 1.1.
MAX_OWNER_NAME = 255
MAX_XATTR_NAME = 255
MAX_XATTR_VALUE = 65536
MAX_XATTR_LIST = 262144
NO_ID = 0xFFFFFFFF

# The minor version whose fields this reader knows: 1, or 0 with --format 1.0.
KNOWN_MINOR = 1


def known_flags():
    """The Member_Flags bits a record and an entry are compared on (§3.5): bit 2 never."""
    return FLAG_MTIME | FLAG_MODE | (FLAG_OWNER | FLAG_XATTRS if KNOWN_MINOR >= 1 else 0)

KIND_NAMES = {
    1: "file", 2: "directory", 3: "expiry-token", 4: "database",
    5: "log", 6: "patch", 7: "checkpoint", 8: "unknown",
}
KIND_DIRECTORY = 2
FILE_LIKE_KINDS = {1, 3, 4, 5, 6, 7, 8}

PROPERTY_KEY_CHARS = set(b"abcdefghijklmnopqrstuvwxyz0123456789._-")


def kind_name(kind):
    """§5: known kinds by name, others (0 and 9-255) as kind-N."""
    return KIND_NAMES.get(kind, f"kind-{kind}")


# --- Errors and byte access ----------------------------------------------------------

class FormatError(Exception):
    """The archive breaks the format at a given file offset."""

    def __init__(self, offset, message):
        super().__init__(f"offset {offset}: {message}")
        self.offset = offset


class Fields:
    """Reads little-endian fields from a bytes object that sits at `base` in the file."""

    def __init__(self, data, base, what):
        self.data = data
        self.base = base
        self.pos = 0
        self.what = what

    @property
    def offset(self):
        return self.base + self.pos

    @property
    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n, name):
        if n > self.remaining:
            raise FormatError(self.offset, f"{self.what}: {name} needs {n} bytes, "
                                           f"only {self.remaining} left")
        value = self.data[self.pos:self.pos + n]
        self.pos += n
        return value

    def _unpack(self, fmt, name):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), name))[0]

    def u8(self, name):
        return self._unpack("<B", name)

    def u16(self, name):
        return self._unpack("<H", name)

    def u32(self, name):
        return self._unpack("<I", name)

    def u64(self, name):
        return self._unpack("<Q", name)

    def i64(self, name):
        return self._unpack("<q", name)

    def str16(self, name):
        """§1: u16 byte count, then that many bytes (returned as bytes)."""
        length = self.u16(name + " length")
        return self.take(length, name)


class Source:
    """Random access to the archive file with explicit bounds."""

    def __init__(self, f):
        self.f = f
        f.seek(0, os.SEEK_END)
        self.size = f.tell()

    def read(self, offset, n, what):
        if offset < 0 or n < 0 or offset + n > self.size:
            raise FormatError(offset, f"{what}: {n} bytes at this offset run past the "
                                      f"end of the file ({self.size} bytes)")
        self.f.seek(offset)
        data = self.f.read(n)
        if len(data) != n:
            raise FormatError(offset, f"{what}: short read")
        return data


def u32_at(data, pos):
    return struct.unpack_from("<I", data, pos)[0]


# --- Names (§6) and properties (§7) --------------------------------------------------

def name_problem(name):
    """Returns why `name` (bytes) is not a safe member name, or None if it is."""
    if not 1 <= len(name) <= MAX_NAME_BYTES:
        return f"name is {len(name)} bytes (must be 1 to {MAX_NAME_BYTES})"
    try:
        name.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return "name is not valid UTF-8"
    for byte in name:
        if byte < 0x20 or byte == 0x7F:
            return f"name holds control byte 0x{byte:02x}"
        if byte in (0x5C, 0x3A):
            return f"name holds forbidden character {chr(byte)!r}"
    for component in name.split(b"/"):
        if component == b"":
            return "name has an empty component (leading, trailing or doubled '/')"
        if component in (b".", b".."):
            return f"name has a {component.decode()!r} component"
    return None


def display_name(name):
    """A printable form of a name; unsafe names are escaped (§6) and never ambiguous."""
    if name_problem(name) is None:
        return name.decode("utf-8")
    out = []
    for ch in name.decode("utf-8", "surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:            # a byte that was not valid UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F or ch == "\\":
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


def property_problem(key, value):
    if not 1 <= len(key) <= MAX_PROPERTY_KEY or any(b not in PROPERTY_KEY_CHARS for b in key):
        return f"property key {key!r} is not 1-{MAX_PROPERTY_KEY} bytes of [a-z0-9._-]"
    if len(value) > MAX_PROPERTY_VALUE:
        return f"property {key.decode()} value is {len(value)} bytes (max {MAX_PROPERTY_VALUE})"
    try:
        value.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return f"property {key.decode()} value is not valid UTF-8"
    return None


# --- Records (§3) --------------------------------------------------------------------

@dataclass
class Record:
    offset: int        # file offset of the magic number
    size: int          # whole frame: 8 + Frame_Size
    rtype: bytes       # Record_Type, 4 ASCII letters
    body: bytes
    checksum_ok: bool
    raw: bytes         # the whole frame, for Span_Hash

    @property
    def body_offset(self):
        return self.offset + 12


def read_record(src, offset, limit=None):
    """Reads the record at `offset`. Structural damage raises; a bad Record_Checksum
    does not (checksum_ok is False) so that a verifier can go on."""
    limit = src.size if limit is None else limit
    head = src.read(offset, 8, "record header")
    magic, payload = struct.unpack("<II", head)
    if magic != RECORD_MAGIC:
        raise FormatError(offset, f"expected a record (magic 0x{RECORD_MAGIC:08x}), "
                                  f"found 0x{magic:08x}")
    if not MIN_RECORD_PAYLOAD <= payload <= MAX_RECORD_PAYLOAD:
        raise FormatError(offset + 4, f"record Frame_Size {payload} outside "
                                      f"{MIN_RECORD_PAYLOAD}..{MAX_RECORD_PAYLOAD}")
    if offset + 8 + payload > limit:
        raise FormatError(offset + 4, f"record of {8 + payload} bytes runs past offset {limit}")
    raw = head + src.read(offset + 8, payload, "record payload")
    covered = raw[8:8 + payload - 8]
    stored = struct.unpack_from("<Q", raw, 8 + payload - 8)[0]
    return Record(offset=offset, size=8 + payload, rtype=raw[8:12],
                  body=raw[12:8 + payload - 8],
                  checksum_ok=(xxhash.xxh3_64_intdigest(covered) == stored), raw=raw)


def require_record(src, offset, rtype, limit=None):
    """Reads a record that must be intact and of type `rtype`."""
    rec = read_record(src, offset, limit)
    if not rec.checksum_ok:
        raise FormatError(offset + rec.size - 8, f"{rtype.decode()} record: Record_Checksum mismatch")
    if rec.rtype != rtype:
        raise FormatError(offset + 8, f"expected a {rtype.decode()} record, found type {rec.rtype!r}")
    return rec


@dataclass
class Header:
    major: int
    minor: int
    flags: int
    archive_id: bytes
    created: int
    chunk_size: int
    tool: bytes


def parse_header(rec):
    """§3.1"""
    r = Fields(rec.body, rec.body_offset, "AHDR")
    major = r.u16("Format_Major")
    minor = r.u16("Format_Minor")
    if major > FORMAT_MAJOR:
        raise FormatError(rec.body_offset, f"archive format {major}.x is newer than this reader")
    if major != FORMAT_MAJOR:
        raise FormatError(rec.body_offset, f"archive format {major}.{minor} is not a known version")
    flags = r.u32("Header_Flags")          # unknown bits are ignored
    archive_id = r.take(16, "Archive_Id")
    created = r.i64("Created")
    at = r.offset
    chunk_size = r.u32("Chunk_Size")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise FormatError(at, f"Chunk_Size {chunk_size} outside {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
    tool = r.str16("Tool")
    return Header(major, minor, flags, archive_id, created, chunk_size, tool)


@dataclass
class MemberRecord:
    number: int
    kind: int
    bft: int
    flags: int
    expected_size: int
    mtime_sec: int
    mtime_nsec: int
    mode: int
    name: bytes
    source_path: bytes
    owner: tuple = None    # (uid, gid, user, group) with bit 3 (1.1)
    xattrs: list = None    # [(name, value)] with bit 4 (1.1)


def parse_extras(r, flags, what):
    """§3.2, format 1.1: the owner (bit 3) and the attribute list (bit 4) after
    Source_Path, each only with its bit, with their rules. A 1.0 reader stops before
    them: to it they are bytes past the fields it knows."""
    if KNOWN_MINOR < 1:
        return None, None
    owner = xattrs = None
    if flags & FLAG_OWNER:
        at = r.offset
        uid, gid = r.u32("Uid"), r.u32("Gid")
        user, group = r.str16("User"), r.str16("Group")
        if NO_ID in (uid, gid):
            raise FormatError(at, f"{what}: owner {uid}:{gid}: {NO_ID} is no owner")
        for label, v in (("User", user), ("Group", group)):
            if len(v) > MAX_OWNER_NAME or b"\0" in v:
                raise FormatError(at, f"{what}: {label} is over {MAX_OWNER_NAME} bytes or holds NUL")
        owner = (uid, gid, user, group)
    if flags & FLAG_XATTRS:
        start = r.pos
        at = r.offset
        count = r.u16("Xattr_Count")
        xattrs = []
        for k in range(count):
            name = r.str16("attribute Name")
            size = r.u32("Value_Size")
            if not 1 <= len(name) <= MAX_XATTR_NAME or b"\0" in name:
                raise FormatError(at, f"{what}: attribute {k} has a name of {len(name)} bytes "
                                      "or one holding NUL")
            if size > MAX_XATTR_VALUE:
                raise FormatError(at, f"{what}: attribute {name!r} has a value of {size} bytes "
                                      f"(at most {MAX_XATTR_VALUE})")
            value = r.take(size, "attribute Value")
            if xattrs and not xattrs[-1][0] < name:   # bytes compare as unsigned values
                raise FormatError(at, f"{what}: attribute names not in strictly increasing "
                                      f"order ({xattrs[-1][0]!r}, then {name!r})")
            xattrs.append((name, value))
        if r.pos - start > MAX_XATTR_LIST:
            raise FormatError(at, f"{what}: attributes take {r.pos - start} bytes "
                                  f"(at most {MAX_XATTR_LIST})")
    return owner, xattrs


def parse_member(rec):
    """§3.2"""
    r = Fields(rec.body, rec.body_offset, "AMBR")
    m = MemberRecord(
        number=r.u64("Member_Number"), kind=r.u8("Kind"), bft=r.u8("BFT"),
        flags=r.u16("Member_Flags"), expected_size=r.u64("Expected_Size"),
        mtime_sec=r.i64("Mtime_Sec"), mtime_nsec=r.u32("Mtime_Nsec"), mode=r.u32("Mode"),
        name=r.str16("Name"), source_path=r.str16("Source_Path"))
    m.owner, m.xattrs = parse_extras(r, m.flags, "AMBR")
    return m   # bytes past the known fields are ignored (§3)


@dataclass
class MemberEnd:
    number: int
    size: int
    chunk_count: int
    content_hash: bytes


def parse_member_end(rec):
    """§3.4"""
    r = Fields(rec.body, rec.body_offset, "AEND")
    return MemberEnd(number=r.u64("Member_Number"), size=r.u64("Size"),
                     chunk_count=r.u64("Chunk_Count"), content_hash=r.take(16, "Content_Hash"))


@dataclass
class Entry:
    offset_in_file: int   # where this entry sits inside the index record
    kind: int
    bft: int
    flags: int
    size: int
    mtime_sec: int
    mtime_nsec: int
    mode: int
    first_frame: int
    offset: int
    chunk_count: int
    span: int
    content_hash: bytes
    span_hash: int
    name: bytes
    source_path: bytes
    owner: tuple = None
    xattrs: list = None


@dataclass
class Index:
    archive_id: bytes
    created: int
    member_count: int
    index_frame: int
    index_offset: int
    tool: bytes
    properties: list = field(default_factory=list)   # [(key bytes, value bytes)]
    entries: list = field(default_factory=list)


def parse_entry(r):
    """One member entry of §3.5; `r` is positioned at its Entry_Size."""
    start = r.offset
    entry_size = r.u32("Entry_Size")
    if entry_size < ENTRY_FIXED + 4:
        raise FormatError(start, f"Entry_Size {entry_size} is smaller than the "
                                 f"{ENTRY_FIXED + 4} bytes a 1.0 entry needs")
    body = r.take(entry_size - 4, "member entry")
    e = Fields(body, start + 4, "member entry")
    entry = Entry(
        offset_in_file=start, kind=e.u8("Kind"), bft=e.u8("BFT"), flags=e.u16("Member_Flags"),
        size=e.u64("Size"), mtime_sec=e.i64("Mtime_Sec"), mtime_nsec=e.u32("Mtime_Nsec"),
        mode=e.u32("Mode"), first_frame=e.u64("First_Frame"), offset=e.u64("Offset"),
        chunk_count=e.u64("Chunk_Count"), span=e.u64("Span"),
        content_hash=e.take(16, "Content_Hash"), span_hash=e.u64("Span_Hash"),
        name=e.str16("Name"), source_path=e.str16("Source_Path"))
    entry.owner, entry.xattrs = parse_extras(e, entry.flags, "member entry")
    return entry   # bytes past the known fields are skipped (§3.5)


def parse_index(rec):
    """§3.5"""
    r = Fields(rec.body, rec.body_offset, "AIDX")
    archive_id = r.take(16, "Archive_Id")
    created = r.i64("Created")
    at = r.offset
    member_count = r.u64("Member_Count")
    if member_count > len(rec.body) // INDEX_BYTES_PER_MEMBER:
        raise FormatError(at, f"Member_Count {member_count} impossible in an index body "
                              f"of {len(rec.body)} bytes")
    index = Index(archive_id=archive_id, created=created, member_count=member_count,
                  index_frame=r.u64("Index_Frame"), index_offset=r.u64("Index_Offset"),
                  tool=r.str16("Tool"))
    at = r.offset
    property_count = r.u32("Property_Count")
    if property_count > r.remaining // 4:
        raise FormatError(at, f"Property_Count {property_count} impossible in the "
                              f"{r.remaining} bytes left")
    for _ in range(property_count):
        key = r.str16("property key")
        value = r.str16("property value")
        index.properties.append((key, value))
    for _ in range(member_count):
        index.entries.append(parse_entry(r))
    return index


# --- Seek table (§4) -----------------------------------------------------------------

@dataclass
class SeekTable:
    start: int             # file offset of the seek table frame
    frame_count: int       # Number_Of_Frames


@dataclass(frozen=True)
class SeekEntry:
    compressed_size: int
    decompressed_size: int
    checksum: int

    def __str__(self):
        return (f"(Compressed_Size {self.compressed_size}, Decompressed_Size "
                f"{self.decompressed_size}, Checksum 0x{self.checksum:08x})")


def read_seek_table(src):
    """§4 steps 1-2: the footer and the frame header of the seek table."""
    if src.size < 8 + SEEK_FOOTER_SIZE:
        raise FormatError(0, f"file of {src.size} bytes is too small for a seek table")
    footer_at = src.size - SEEK_FOOTER_SIZE
    footer = src.read(footer_at, SEEK_FOOTER_SIZE, "seek table footer")
    frames, descriptor, magic = struct.unpack("<IBI", footer)
    if magic != SEEKABLE_FOOTER_MAGIC:
        raise FormatError(footer_at + 5, f"Seekable_Magic_Number is 0x{magic:08x}, "
                                         f"expected 0x{SEEKABLE_FOOTER_MAGIC:08x}")
    if descriptor != SEEK_TABLE_DESCRIPTOR:
        raise FormatError(footer_at + 4, f"Seek_Table_Descriptor is 0x{descriptor:02x}, "
                                         f"expected 0x{SEEK_TABLE_DESCRIPTOR:02x}")
    if frames > (src.size - 17) // SEEK_ENTRY_SIZE:
        raise FormatError(footer_at, f"Number_Of_Frames {frames} impossible in a file "
                                     f"of {src.size} bytes")
    start = src.size - (8 + SEEK_ENTRY_SIZE * frames + SEEK_FOOTER_SIZE)
    magic, frame_size = struct.unpack("<II", src.read(start, 8, "seek table frame header"))
    if magic != SEEK_TABLE_MAGIC:
        raise FormatError(start, f"seek table magic is 0x{magic:08x}, expected "
                                 f"0x{SEEK_TABLE_MAGIC:08x} (Number_Of_Frames {frames})")
    if frame_size != SEEK_ENTRY_SIZE * frames + SEEK_FOOTER_SIZE:
        raise FormatError(start + 4, f"seek table Frame_Size {frame_size}, expected "
                                     f"{SEEK_ENTRY_SIZE * frames + SEEK_FOOTER_SIZE}")
    return SeekTable(start=start, frame_count=frames)


def read_seek_entries(src, table, first, count):
    """Seek-table entries first .. first+count-1 (§4 "Reading one member")."""
    if first < 0 or count < 0 or first + count > table.frame_count:
        raise FormatError(table.start, f"seek-table entries {first}..{first + count - 1} do not "
                                       f"exist (table has {table.frame_count})")
    at = table.start + 8 + SEEK_ENTRY_SIZE * first
    data = src.read(at, SEEK_ENTRY_SIZE * count, "seek table entries")
    return [SeekEntry(*struct.unpack_from("<III", data, SEEK_ENTRY_SIZE * k)) for k in range(count)]


RECORD_SEEK_ENTRY = (0, RECORD_EMPTY_CHECKSUM)   # Decompressed_Size and Checksum of a record


# --- Chunk frames (§3.3, RFC 8878) -----------------------------------------------------

@dataclass
class ZstdFrameHeader:
    header_size: int
    content_size: int       # None when Frame_Content_Size is absent
    has_checksum: bool
    dictionary_id: int
    window_size: int


def parse_zstd_frame_header(data, base):
    """RFC 8878 §3.1.1.1. `data` starts at the magic number; needs at most 18 bytes."""
    r = Fields(data, base, "zstd frame header")
    magic = r.u32("Magic_Number")
    if magic != ZSTD_MAGIC:
        raise FormatError(base, f"expected a Zstandard frame (magic 0x{ZSTD_MAGIC:08x}), "
                                f"found 0x{magic:08x}")
    fhd = r.u8("Frame_Header_Descriptor")
    fcs_flag, single_segment = fhd >> 6, (fhd >> 5) & 1
    if fhd & 0x08:
        raise FormatError(base + 4, "zstd Frame_Header_Descriptor reserved bit is set")
    has_checksum = bool(fhd & 0x04)
    did_size = (0, 1, 2, 4)[fhd & 3]
    fcs_size = (1 if single_segment else 0, 2, 4, 8)[fcs_flag]
    window_size = None
    if not single_segment:
        wd = r.u8("Window_Descriptor")
        exponent, mantissa = wd >> 3, wd & 7
        window_base = 1 << (10 + exponent)
        window_size = window_base + (window_base // 8) * mantissa
    dictionary_id = int.from_bytes(r.take(did_size, "Dictionary_ID"), "little")
    content_size = None
    if fcs_size:
        content_size = int.from_bytes(r.take(fcs_size, "Frame_Content_Size"), "little")
        if fcs_size == 2:
            content_size += 256
    if single_segment:
        window_size = content_size
    return ZstdFrameHeader(r.pos, content_size, has_checksum, dictionary_id, window_size)


def zstd_frame_length(read, offset, limit, max_length):
    """Walks the blocks of the Zstandard frame at `offset` (RFC 8878 §3.1.1.2) and returns
    (header, total length) without decompressing. `read(offset, n)` returns bytes."""
    head = read(offset, min(18, limit - offset))
    header = parse_zstd_frame_header(head, offset)
    pos = offset + header.header_size
    while True:
        if pos + 3 > limit:
            raise FormatError(pos, f"zstd block header runs past offset {limit}")
        block = int.from_bytes(read(pos, 3), "little")
        last, block_type, block_size = block & 1, (block >> 1) & 3, block >> 3
        if block_type == 3:
            raise FormatError(pos, "zstd block of reserved type 3")
        if block_size > ZSTD_MAX_BLOCK:
            raise FormatError(pos, f"zstd block of {block_size} bytes exceeds 128 KiB")
        pos += 3 + (1 if block_type == 1 else block_size)
        if pos - offset > max_length:
            raise FormatError(offset, f"zstd frame longer than {max_length} bytes "
                                      "(reader resource limit)")
        if pos > limit:
            raise FormatError(pos, f"zstd block runs past offset {limit}")
        if last:
            break
    if header.has_checksum:
        pos += 4
        if pos > limit:
            raise FormatError(pos - 4, f"zstd Content_Checksum runs past offset {limit}")
    return header, pos - offset


def max_chunk_frame_length(chunk_size):
    """Not in the spec (see README): how long a chunk frame may be before this reader
    refuses to load it. Generous: raw blocks plus headers need chunk_size + 3 per 128 KiB."""
    return 2 * chunk_size + (1 << 20)


def decode_chunk(frame, offset, chunk_size):
    """Checks and decompresses one whole chunk frame (§3.3, §9). Returns (content, seek entry)."""
    header, length = zstd_frame_length(lambda o, n: frame[o - offset:o - offset + n],
                                       offset, offset + len(frame), len(frame))
    if length != len(frame):
        raise FormatError(offset, f"zstd frame is {length} bytes, expected {len(frame)}")
    if not header.has_checksum:
        raise FormatError(offset + 4, "chunk frame without Content_Checksum_flag")
    if header.content_size is None:
        raise FormatError(offset + 4, "chunk frame without Frame_Content_Size")
    if header.dictionary_id != 0:
        raise FormatError(offset + 4, f"chunk frame uses dictionary {header.dictionary_id}")
    size = header.content_size
    if not 1 <= size <= chunk_size:
        raise FormatError(offset + 4, f"chunk content size {size} outside 1..Chunk_Size ({chunk_size})")
    if size > 32768 * len(frame) + 131072:
        raise FormatError(offset + 4, f"chunk content size {size} impossible for "
                                      f"{len(frame)} compressed bytes")
    try:
        content = zstandard.ZstdDecompressor(max_window_size=1 << 31).decompress(frame)
    except zstandard.ZstdError as e:
        raise FormatError(offset, f"chunk frame does not decompress: {e}") from None
    if len(content) != size:
        raise FormatError(offset, f"chunk decompressed to {len(content)} bytes, header says {size}")
    checksum = xxhash.xxh64_intdigest(content) & 0xFFFFFFFF
    if checksum != u32_at(frame, len(frame) - 4):
        raise FormatError(offset + len(frame) - 4, "chunk Content_Checksum mismatch")
    return content, SeekEntry(len(frame), size, checksum)


# --- Opening an archive from the tail (§4 "Finding things from the tail") ------------

@dataclass
class Archive:
    src: Source
    header: Header
    header_size: int
    seek: SeekTable
    index: Index
    index_record: Record


def open_from_tail(src):
    """Reads the header record, the seek-table footer and the index record only."""
    if src.size < 12:
        raise FormatError(0, "file too small to be an archive")
    head = src.read(0, 12, "first record")
    if head[0:4] != struct.pack("<I", RECORD_MAGIC) or head[8:12] != b"AHDR":
        raise FormatError(0, "not an .adbk archive (no AHDR record at the start)")
    header_rec = require_record(src, 0, b"AHDR")
    header = parse_header(header_rec)

    seek = read_seek_table(src)
    if seek.frame_count < 2:
        raise FormatError(seek.start, f"Number_Of_Frames {seek.frame_count}: an archive has "
                                      "at least a header and an index")
    last = read_seek_entries(src, seek, seek.frame_count - 1, 1)[0]
    index_offset = seek.start - last.compressed_size
    if index_offset < header_rec.size:
        raise FormatError(seek.start + 8 + SEEK_ENTRY_SIZE * (seek.frame_count - 1),
                          f"last seek-table entry gives an index of {last.compressed_size} bytes, "
                          "more than the file holds")
    index_rec = require_record(src, index_offset, b"AIDX", limit=seek.start)
    if index_rec.size != last.compressed_size:
        raise FormatError(index_offset, f"index record is {index_rec.size} bytes, seek table "
                                        f"says {last.compressed_size}")
    if (last.decompressed_size, last.checksum) != RECORD_SEEK_ENTRY:
        raise FormatError(seek.start + 8 + SEEK_ENTRY_SIZE * (seek.frame_count - 1),
                          "seek-table entry of the index record is not that of a record")
    index = parse_index(index_rec)
    if index.index_frame != seek.frame_count - 1:
        raise FormatError(index_offset, f"Index_Frame {index.index_frame}, expected "
                                        f"{seek.frame_count - 1}")
    if index.index_offset != index_offset:
        raise FormatError(index_offset, f"Index_Offset {index.index_offset}, but the index "
                                        f"record is at {index_offset}")
    if index.archive_id != header.archive_id:
        raise FormatError(index_offset + 12, "index Archive_Id differs from the header's")
    return Archive(src, header, header_rec.size, seek, index, index_rec)


# --- Reading one member (§4 "Reading one member") ------------------------------------

def compare_member(entry, number, rec, end, where):
    """§8 item 4: the member and member-end records against the index entry.
    Returns a list of problems (strings)."""
    problems = []

    def check(what, recorded, indexed):
        if recorded != indexed:
            problems.append(f"{where}: {what} is {recorded!r} in the record, {indexed!r} in the index")

    if rec is not None:
        check("member record Member_Number", rec.number, number)
        check("Kind", rec.kind, entry.kind)
        check("BFT", rec.bft, entry.bft)
        check("Member_Flags (the bits this reader knows, bit 2 ignored)",
              rec.flags & known_flags(), entry.flags & known_flags())
        check("Mtime_Sec", rec.mtime_sec, entry.mtime_sec)
        check("Mtime_Nsec", rec.mtime_nsec, entry.mtime_nsec)
        check("Mode", rec.mode, entry.mode)
        check("Name", rec.name, entry.name)
        check("Source_Path", rec.source_path, entry.source_path)
        check("owner", rec.owner, entry.owner)
        check("extended attributes", rec.xattrs, entry.xattrs)
    if end is not None:
        check("member-end record Member_Number", end.number, number)
        check("Size", end.size, entry.size)
        check("Chunk_Count", end.chunk_count, entry.chunk_count)
        check("Content_Hash", end.content_hash.hex(), entry.content_hash.hex())
    return problems


def entry_problems(entry, where):
    """Checks of one index entry on its own (§3.5, §5, §6)."""
    problems = []
    if entry.kind == 0:
        problems.append(f"{where}: Kind 0 is invalid")
    if entry.kind == KIND_DIRECTORY and (entry.size != 0 or entry.chunk_count != 0):
        problems.append(f"{where}: directory with Size {entry.size}, {entry.chunk_count} chunks")
    if entry.mtime_nsec > 999_999_999:
        problems.append(f"{where}: Mtime_Nsec {entry.mtime_nsec} out of range")
    if entry.mode & ~0o7777:
        problems.append(f"{where}: Mode 0o{entry.mode:o} has bits outside 0o7777")
    why = name_problem(entry.name)
    if why:
        problems.append(f"{where}: unsafe {why}")
    return problems


def read_member(arc, number):
    """Yields the content of member `number` chunk by chunk, reading only its own frames,
    and checks everything on the way. Raises FormatError on any damage."""
    src, entry = arc.src, arc.index.entries[number]
    where = f"member {number} ({display_name(entry.name)})"
    frames = entry.chunk_count + 2
    if entry.first_frame < 1 or entry.first_frame + frames > arc.seek.frame_count - 1:
        raise FormatError(arc.index_record.offset, f"{where}: frames {entry.first_frame}.."
                          f"{entry.first_frame + frames - 1} are not between header and index")
    seek_entries = read_seek_entries(src, arc.seek, entry.first_frame, frames)
    if sum(s.compressed_size for s in seek_entries) != entry.span:
        raise FormatError(entry.offset, f"{where}: seek table gives a span of "
                          f"{sum(s.compressed_size for s in seek_entries)} bytes, index says {entry.span}")
    if entry.offset + entry.span > arc.index_record.offset or entry.offset < arc.header_size:
        raise FormatError(entry.offset, f"{where}: Offset/Span outside the member area")

    span_hash = xxhash.xxh3_64()
    offset = entry.offset

    def record(expected_type, seek_entry):
        rec = require_record(src, offset, expected_type, limit=offset + seek_entry.compressed_size)
        if rec.size != seek_entry.compressed_size or \
                (seek_entry.decompressed_size, seek_entry.checksum) != RECORD_SEEK_ENTRY:
            raise FormatError(offset, f"{where}: seek-table entry does not match the record")
        span_hash.update(rec.raw)
        return rec

    member = parse_member(record(b"AMBR", seek_entries[0]))
    problems = compare_member(entry, number, member, None, where)
    if problems:
        raise FormatError(offset, problems[0])
    offset += seek_entries[0].compressed_size

    content_hash = xxhash.xxh3_128()
    size = 0
    for k, seek_entry in enumerate(seek_entries[1:-1]):
        if seek_entry.compressed_size > max_chunk_frame_length(arc.header.chunk_size):
            raise FormatError(offset, f"{where}: chunk frame of {seek_entry.compressed_size} bytes "
                              "is beyond this reader's limit")
        frame = src.read(offset, seek_entry.compressed_size, "chunk frame")
        content, rebuilt = decode_chunk(frame, offset, arc.header.chunk_size)
        if rebuilt != seek_entry:
            raise FormatError(offset, f"{where}: chunk {k} does not match its seek-table entry")
        if k < entry.chunk_count - 1 and len(content) != arc.header.chunk_size:
            raise FormatError(offset, f"{where}: chunk {k} holds {len(content)} bytes; only the "
                              f"last may hold less than Chunk_Size ({arc.header.chunk_size})")
        span_hash.update(frame)
        content_hash.update(content)
        size += len(content)
        offset += seek_entry.compressed_size
        yield content

    end = parse_member_end(record(b"AEND", seek_entries[-1]))
    problems = compare_member(entry, number, None, end, where)
    if size != entry.size:
        problems.append(f"{where}: content is {size} bytes, index says {entry.size}")
    if content_hash.digest() != entry.content_hash:
        problems.append(f"{where}: content XXH3-128 {content_hash.hexdigest()} differs from "
                        f"Content_Hash {entry.content_hash.hex()}")
    if span_hash.intdigest() != entry.span_hash:
        problems.append(f"{where}: Span_Hash mismatch")
    if problems:
        raise FormatError(offset, "; ".join(problems))


def find_member(arc, name):
    for number, entry in enumerate(arc.index.entries):
        if entry.name == name:
            return number
    return None


# --- Verification (§8) -----------------------------------------------------------------

@dataclass
class SeenMember:
    """What walking the frames found for one member."""
    offset: int
    first_frame: int
    record: MemberRecord = None
    end: MemberEnd = None
    chunks: int = 0
    size: int = 0
    last_chunk_short: bool = False
    span: int = 0
    damaged: bool = False
    content_hash: object = field(default_factory=xxhash.xxh3_128)
    span_hash: object = field(default_factory=xxhash.xxh3_64)


class Verifier:
    """Walks every frame of the file and checks all of §8, going on after damage."""

    def __init__(self, src):
        self.src = src
        self.problems = []

    def problem(self, message, offset=None):
        self.problems.append(message if offset is None else f"offset {offset}: {message}")

    def run(self):
        seek, seek_entries = self.load_seek_table()
        walk = self.walk(seek, seek_entries)
        self.check_seek_table(seek, seek_entries, walk)
        self.check_index(seek, walk)
        return self.problems

    # §8 item 1, first half: the seek table's own structure.
    def load_seek_table(self):
        try:
            seek = read_seek_table(self.src)
            return seek, read_seek_entries(self.src, seek, 0, seek.frame_count)
        except FormatError as e:
            self.problem(f"seek table: {e}")
            return None, None

    def boundaries(self, seek, seek_entries):
        """Frame offsets according to the seek table, for resynchronising after damage."""
        if seek is None:
            return None
        offsets, at = [], 0
        for s in seek_entries:
            offsets.append(at)
            at += s.compressed_size
        return offsets if at == seek.start else None

    def walk(self, seek, seek_entries):
        src = self.src
        w = {
            "frames": {},          # frame number -> (offset, SeekEntry)
            "header": None, "header_size": None,
            "index": None, "index_offset": None, "index_frame": None,
            "members": [], "seek_start": None, "resynced": False,
        }
        bounds = self.boundaries(seek, seek_entries)
        chunk_size = None          # from the header; None while it is unknown
        current = None             # SeenMember being walked
        state = "start"            # start, members, after-index, end
        offset, frame_no = 0, 0
        while offset < src.size:
            try:
                magic = struct.unpack("<I", src.read(offset, 4, "frame magic"))[0]
                if magic == SEEK_TABLE_MAGIC:
                    payload = struct.unpack("<I", src.read(offset + 4, 4, "seek table Frame_Size"))[0]
                    if offset + 8 + payload != src.size:
                        raise FormatError(offset, "seek table frame does not end the file")
                    if state != "after-index":
                        self.problem("seek table frame before the index record", offset)
                    w["seek_start"] = offset
                    state = "end"
                    break
                if SKIPPABLE_FIRST <= magic <= SKIPPABLE_LAST and magic != RECORD_MAGIC:
                    raise FormatError(offset, f"forbidden skippable frame magic 0x{magic:08x}")
                if magic == RECORD_MAGIC:
                    rec = read_record(src, offset)
                    w["frames"][frame_no] = (offset, SeekEntry(rec.size, *RECORD_SEEK_ENTRY))
                    state, current, chunk_size = self.on_record(rec, frame_no, state, current, w,
                                                                chunk_size)
                    size = rec.size
                else:
                    _, size = zstd_frame_length(lambda o, n: src.read(o, n, "zstd frame"), offset,
                                                src.size,
                                                max_chunk_frame_length(chunk_size or MAX_CHUNK_SIZE))
                    frame = src.read(offset, size, "chunk frame")
                    try:
                        content, rebuilt = decode_chunk(frame, offset, chunk_size or MAX_CHUNK_SIZE)
                    except FormatError as e:
                        self.problem(f"chunk frame {frame_no}: {e}")
                        content, rebuilt = None, None
                        if current is not None:
                            current.damaged = True
                    w["frames"][frame_no] = (offset, rebuilt)
                    current = self.on_chunk(frame, content, offset, frame_no, current, chunk_size)
            except FormatError as e:
                self.problem(f"frame {frame_no}: {e}")
                if current is not None:
                    current.damaged = True
                next_frame = None if bounds is None else next(
                    (k for k, b in enumerate(bounds) if b > offset), None)
                if next_frame is None:
                    self.problem("cannot find the next frame; the rest of the file is not checked",
                                 offset)
                    break
                w["resynced"] = True
                offset, frame_no = bounds[next_frame], next_frame
                continue
            offset += size
            frame_no += 1
        if state != "end":
            self.problem(f"the file does not end with a seek table after the index "
                         f"(walk stopped in state '{state}')")
        if current is not None:
            self.problem(f"member {len(w['members'])} has no member-end record", current.offset)
        return w

    def on_record(self, rec, frame_no, state, current, w, chunk_size):
        """§8 item 2: record checksum and the order of record types (§2)."""
        rtype = rec.rtype.decode("ascii", "replace")
        if not rec.checksum_ok:
            self.problem(f"{rtype} record (frame {frame_no}): Record_Checksum mismatch",
                         rec.offset + rec.size - 8)
        if current is not None:
            current.span_hash.update(rec.raw)
            current.span += rec.size
        try:
            if rec.rtype == b"AHDR":
                if state != "start" or frame_no != 0:
                    self.problem("AHDR record not first in the file", rec.offset)
                    return state, current, chunk_size
                w["header"], w["header_size"] = parse_header(rec), rec.size
                return "members", current, w["header"].chunk_size
            if state == "start":
                self.problem(f"file does not start with an AHDR record (found {rtype})", rec.offset)
                state = "members"
            if rec.rtype == b"AMBR":
                if state != "members" or current is not None:
                    self.problem("AMBR record inside another member or after the index", rec.offset)
                    if current is not None:
                        current.damaged = True
                        w["members"].append(current)
                current = SeenMember(offset=rec.offset, first_frame=frame_no)
                current.span_hash.update(rec.raw)
                current.span = rec.size
                current.damaged = not rec.checksum_ok
                current.record = parse_member(rec)
                return state, current, chunk_size
            if rec.rtype == b"AEND":
                if current is None:
                    self.problem("AEND record without a member record", rec.offset)
                    return state, current, chunk_size
                current.damaged |= not rec.checksum_ok
                current.end = parse_member_end(rec)
                w["members"].append(current)
                return state, None, chunk_size
            if rec.rtype == b"AIDX":
                if current is not None:
                    self.problem("AIDX record inside a member", rec.offset)
                    current.damaged = True
                    w["members"].append(current)
                    current = None
                if state != "members":
                    self.problem("second AIDX record", rec.offset)
                w["index_offset"], w["index_frame"] = rec.offset, frame_no
                if rec.checksum_ok:
                    w["index"] = parse_index(rec)
                return "after-index", current, chunk_size
            self.problem(f"unknown record type {rec.rtype!r}", rec.offset + 8)
        except FormatError as e:
            self.problem(f"{rtype} record (frame {frame_no}): {e}")
            if current is not None:
                current.damaged = True
        return state, current, chunk_size

    def on_chunk(self, frame, content, offset, frame_no, current, chunk_size):
        """§8 item 3 (the per-member part): chunks belong to a member; all but the last full."""
        if current is None:
            self.problem(f"chunk frame {frame_no} outside any member", offset)
            return None
        current.span_hash.update(frame)
        current.span += len(frame)
        current.chunks += 1
        if content is None:
            return current
        if chunk_size is not None:     # unknown when the header is damaged
            if current.last_chunk_short:
                self.problem(f"member at {current.offset}: a chunk before frame {frame_no} holds "
                             "less than Chunk_Size but is not the last", offset)
                current.damaged = True
            current.last_chunk_short = len(content) != chunk_size
        current.content_hash.update(content)
        current.size += len(content)
        return current

    # §8 item 1, second half: the seek table equals the one rebuilt from the walk.
    def check_seek_table(self, seek, seek_entries, w):
        if seek is None:
            return
        if w["seek_start"] is not None and w["seek_start"] != seek.start:
            self.problem(f"seek table found at {w['seek_start']} by walking, "
                         f"but its footer puts it at {seek.start}")
        if not w["resynced"] and len(w["frames"]) != seek.frame_count:
            self.problem(f"walked {len(w['frames'])} frames, seek table lists {seek.frame_count}")
        table_offset = 0
        offsets = []
        for s in seek_entries:
            offsets.append(table_offset)
            table_offset += s.compressed_size
        for frame_no, (offset, rebuilt) in sorted(w["frames"].items()):
            if frame_no >= seek.frame_count:
                self.problem(f"frame {frame_no} has no seek-table entry", offset)
                continue
            where = seek.start + 8 + SEEK_ENTRY_SIZE * frame_no
            if offsets[frame_no] != offset:
                self.problem(f"seek table puts frame {frame_no} at {offsets[frame_no]}, "
                             f"walking found it at {offset}", where)
            elif rebuilt is not None and seek_entries[frame_no] != rebuilt:
                self.problem(f"seek-table entry {frame_no} is {seek_entries[frame_no]}, "
                             f"the frame gives {rebuilt}", where)

    # §8 items 4 and 5.
    def check_index(self, seek, w):
        header, index = w["header"], w["index"]
        if header is None:
            self.problem("no readable header record")
        if index is None:
            self.problem("no readable index record; members cannot be checked against it")
            return
        if header is not None:
            if index.archive_id != header.archive_id:
                self.problem("index Archive_Id differs from the header's", w["index_offset"])
            if index.created != header.created:
                self.problem("index Created differs from the header's", w["index_offset"])
            if index.tool != header.tool:
                self.problem("index Tool differs from the header's", w["index_offset"])
        if index.index_offset != w["index_offset"]:
            self.problem(f"Index_Offset {index.index_offset}, record is at {w['index_offset']}",
                         w["index_offset"])
        if index.index_frame != w["index_frame"]:
            self.problem(f"Index_Frame {index.index_frame}, record is frame {w['index_frame']}",
                         w["index_offset"])
        if seek is not None and index.index_frame != seek.frame_count - 1:
            self.problem(f"Index_Frame {index.index_frame}, seek table has "
                         f"{seek.frame_count} frames", w["index_offset"])
        keys = set()
        for key, value in index.properties:
            why = property_problem(key, value)
            if why:
                self.problem(f"index: {why}", w["index_offset"])
            if key in keys:
                self.problem(f"index: property key {key!r} appears twice", w["index_offset"])
            keys.add(key)

        # Tiling: entries cover exactly the frames and bytes between header and index.
        frame = 1
        offset = w["header_size"] if w["header_size"] is not None else None
        names = set()
        for n, entry in enumerate(index.entries):
            where = f"member {n} ({display_name(entry.name)})"
            for p in entry_problems(entry, where):
                self.problem(p, entry.offset_in_file)
            if entry.name in names:
                self.problem(f"{where}: name appears twice in the index", entry.offset_in_file)
            names.add(entry.name)
            if entry.first_frame != frame:
                self.problem(f"{where}: First_Frame {entry.first_frame}, expected {frame}",
                             entry.offset_in_file)
            if offset is not None and entry.offset != offset:
                self.problem(f"{where}: Offset {entry.offset}, expected {offset}",
                             entry.offset_in_file)
            frame = entry.first_frame + entry.chunk_count + 2
            offset = entry.offset + entry.span
        if frame != index.index_frame:
            self.problem(f"index entries end before frame {frame}, index is frame "
                         f"{index.index_frame}", w["index_offset"])
        if offset is not None and offset != w["index_offset"]:
            self.problem(f"index entries end at offset {offset}, index record is at "
                         f"{w['index_offset']}", w["index_offset"])

        # Each member as walked against its entry.
        seen = w["members"]
        if len(seen) != len(index.entries):
            self.problem(f"walked {len(seen)} members, index lists {len(index.entries)}")
        by_offset = {m.offset: m for m in seen}
        for n, entry in enumerate(index.entries):
            where = f"member {n} ({display_name(entry.name)})"
            m = by_offset.get(entry.offset)
            if m is None:
                self.problem(f"{where}: no member record at its Offset {entry.offset}")
                continue
            problems = compare_member(entry, n, m.record, m.end, where)
            if m.first_frame != entry.first_frame:
                problems.append(f"{where}: member record is frame {m.first_frame}, "
                                f"First_Frame says {entry.first_frame}")
            if m.chunks != entry.chunk_count:
                problems.append(f"{where}: {m.chunks} chunk frames, index says {entry.chunk_count}")
            if m.size != entry.size:
                problems.append(f"{where}: content is {m.size} bytes, index says {entry.size}")
            if m.content_hash.digest() != entry.content_hash:
                problems.append(f"{where}: content XXH3-128 {m.content_hash.hexdigest()} differs "
                                f"from Content_Hash {entry.content_hash.hex()}")
            if m.span != entry.span:
                problems.append(f"{where}: span is {m.span} bytes, index says {entry.span}")
            if m.span_hash.intdigest() != entry.span_hash:
                problems.append(f"{where}: Span_Hash mismatch")
            for p in problems:
                self.problem(p, entry.offset)
            if m.damaged and not problems:
                self.problem(f"{where}: damaged (see above)", entry.offset)


def verify(src):
    """Returns the list of problems found (empty when the archive is intact)."""
    return Verifier(src).run()


# --- Commands ----------------------------------------------------------------------------

def shown(b):
    """A string of the archive for a terminal (§1): control characters and bytes that
    are not UTF-8 as \\xHH, everything else as it is."""
    out = []
    for ch in b.decode("utf-8", "surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02X}")
        elif code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
            out.append(f"\\x{code:02X}")
        else:
            out.append(ch)
    return "".join(out)


def owner_text(owner):
    """UID:GID:USER:GROUP, names shown escaped; "-" without bit 3."""
    if owner is None:
        return "-"
    uid, gid, user, group = owner
    return f"{uid}:{gid}:{shown(user)}:{shown(group)}"


def xattrs_text(xattrs):
    """NAME=BASE64 of each attribute, ";"-separated; "-" without bit 4."""
    if xattrs is None:
        return "-"
    return ";".join(f"{shown(n)}={base64.b64encode(v).decode()}" for n, v in xattrs)


def cmd_list(path, long_form=False):
    with open(path, "rb") as f:
        arc = open_from_tail(Source(f))
        for entry in arc.index.entries:
            line = (f"{kind_name(entry.kind)}\t{entry.size}\t{entry.content_hash.hex()}\t"
                    f"{display_name(entry.name)}")
            if long_form:
                line += f"\t{owner_text(entry.owner)}\t{xattrs_text(entry.xattrs)}"
            print(line)
    return 0


def cmd_verify(path):
    with open(path, "rb") as f:
        problems = verify(Source(f))
    if problems:
        for p in problems:
            print(p)
        return 1
    print("OK")
    return 0


def cmd_cat(path, name):
    with open(path, "rb") as f:
        arc = open_from_tail(Source(f))
        number = find_member(arc, name)
        if number is None:
            print(f"spec_reader: no member named {display_name(name)}", file=sys.stderr)
            return 1
        out = sys.stdout.buffer
        for content in read_member(arc, number):
            out.write(content)
        out.flush()
    return 0


def safe_parent(root, name):
    """Creates the folders leading to `name` under `root`, refusing symbolic links."""
    parts = name.split(b"/")
    at = root
    for part in parts[:-1]:
        at = os.path.join(at, part)
        if os.path.islink(at):
            raise OSError(f"{at!r} is a symbolic link")
        if not os.path.isdir(at):
            os.mkdir(at, 0o755)
    return os.path.join(root, *parts)


def cmd_extract(path, target, unknown_kinds):
    failures = 0
    root = os.fsencode(target)
    os.makedirs(root, exist_ok=True)
    directories = []
    with open(path, "rb") as f:
        arc = open_from_tail(Source(f))
        for number, entry in enumerate(arc.index.entries):
            shown = display_name(entry.name)
            why = name_problem(entry.name)
            if why:
                print(f"spec_reader: refusing member {number} {shown}: {why}", file=sys.stderr)
                failures += 1
                continue
            if entry.kind == 0 or (entry.kind not in FILE_LIKE_KINDS | {KIND_DIRECTORY}
                                   and not unknown_kinds):
                print(f"spec_reader: skipping member {number} {shown} of {kind_name(entry.kind)}",
                      file=sys.stderr)
                continue
            try:
                dest = safe_parent(root, entry.name)
                if entry.kind == KIND_DIRECTORY:
                    for _ in read_member(arc, number):   # checks its records
                        pass
                    if not os.path.isdir(dest) or os.path.islink(dest):
                        os.mkdir(dest, 0o755)
                    directories.append((dest, entry))
                    continue
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                try:
                    with os.fdopen(fd, "wb") as out:
                        for content in read_member(arc, number):
                            out.write(content)
                except FormatError:
                    os.unlink(dest)
                    raise
                apply_metadata(dest, entry)
            except (FormatError, OSError) as e:
                print(f"spec_reader: member {number} {shown}: {e}", file=sys.stderr)
                failures += 1
    for dest, entry in reversed(directories):   # children first, so times stick
        apply_metadata(dest, entry)
    return 1 if failures else 0


def apply_metadata(dest, entry):
    if entry.flags & FLAG_MODE:
        os.chmod(dest, entry.mode & 0o777)
    if entry.flags & FLAG_MTIME:
        ns = entry.mtime_sec * 1_000_000_000 + entry.mtime_nsec
        os.utime(dest, ns=(ns, ns))


USAGE = """usage: spec_reader.py [--format 1.0] list [--long] ARCHIVE
       spec_reader.py [--format 1.0] verify ARCHIVE
       spec_reader.py [--format 1.0] extract ARCHIVE DIR [--unknown-kinds]
       spec_reader.py [--format 1.0] cat ARCHIVE NAME"""


def main(argv):
    global KNOWN_MINOR
    if len(argv) >= 3 and argv[1] == "--format":
        if argv[2] not in ("1.0", "1.1"):
            print(USAGE, file=sys.stderr)
            return 2
        KNOWN_MINOR = int(argv[2].split(".")[1])
        argv = argv[:1] + argv[3:]
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    command, args = argv[1], argv[2:]
    try:
        if command == "list" and len(args) == 1:
            return cmd_list(args[0])
        if command == "list" and len(args) == 2 and args[0] == "--long":
            return cmd_list(args[1], True)
        if command == "verify" and len(args) == 1:
            return cmd_verify(args[0])
        if command == "cat" and len(args) == 2:
            return cmd_cat(args[0], os.fsencode(args[1]))
        if command == "extract" and len(args) in (2, 3):
            if len(args) == 3 and args[2] != "--unknown-kinds":
                print(USAGE, file=sys.stderr)
                return 2
            return cmd_extract(args[0], args[1], len(args) == 3)
    except FormatError as e:
        print(f"spec_reader: {argv[2]}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except OSError as e:
        print(f"spec_reader: {e}", file=sys.stderr)
        return 1
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
