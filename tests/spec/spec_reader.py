#!/usr/bin/python3
"""An independent reader for the .adbk container, written from format/FORMAT.md alone.

It does not share any code with adbk: it exists to prove that the specification is
enough, and to serve as a reference for anyone who must read an archive without adbk.
Section numbers (§) refer to format/FORMAT.md, versions 1.2 and 2.0: plain archives
(§1-§11), signed ones (§12) and archives encrypted to age X25519 keys (§13).

Usage:
    spec_reader.py [OPTIONS] COMMAND ...
    spec_reader.py list [--long] ARCHIVE     one line per member: KIND SIZE XXH128 NAME, and
                                             with --long OWNER and XATTRS (format 1.1);
                                             an encrypted archive without a key lists
                                             "encrypted SIZE - #N" (what is in clear, §13.1)
    spec_reader.py info ARCHIVE              the archive's own facts, one "key value" a line
    spec_reader.py verify ARCHIVE            every check of §8 (§12, §13.7); prints OK or the
                                             problems
    spec_reader.py extract ARCHIVE DIR [--unknown-kinds]
    spec_reader.py cat ARCHIVE NAME          one member's content to standard output

Options (before or after the command word, each may be given again):
    --format 1.0|1.1   a strict reader of that version: it knows only that version's
                       fields and flag bits and must still read any 1.x archive (§3: bytes
                       past the known fields and unknown flag bits are ignored), which is
                       how a 1.0 reader meets a 1.1 or a signed 1.2 archive; it refuses 2.0
    --identity FILE    age identities (AGE-SECRET-KEY-1..., one a line; empty lines and
                       lines starting with '#' are skipped, as age-keygen writes them) to
                       open an encrypted archive with (§13.4)
    --trust KEY        an adbk-sign1... public key, or a file holding one: refuse what that
                       key (or another --trust) did not sign (§12)

Exit status: 0 success, 1 damaged archive / not an archive / refused, 2 usage error.
A refusal is printed as "spec_reader: ARCHIVE: [WHY] offset N: ..." where WHY is
CORRUPT (the format is broken), KEY (no identity given opens it), AUTH (a sealed part or
the header MAC does not authenticate) or SIGNATURE (not signed by a trusted key, or the
signature fails).

Needs Python 3 with the modules `zstandard`, `xxhash` and, for signed and encrypted
archives, `nacl` (Debian: apt-get install python3-zstandard python3-xxhash python3-nacl).
"""

import base64
import hashlib
import hmac
import os
import struct
import sys
from dataclasses import dataclass, field

import xxhash
import zstandard

# --- Constants (§3, §4, §9, §12, §13) ------------------------------------------------

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
MAX_CHUNK_SIZE = 134_217_728
MAX_NAME_BYTES = 4095
MAX_PROPERTY_KEY = 64
MAX_PROPERTY_VALUE = 4096
INDEX_BYTES_PER_MEMBER = 92    # §9: Member_Count <= index body size / 92
ZSTD_MAX_BLOCK = 128 * 1024

# Fixed part of each body (§3.1 - §3.5): what a 1.0 reader requires at least.
HEADER_FIXED = 36          # up to and excluding Tool
MEMBER_FIXED = 36          # up to and excluding Name
END_FIXED = 40
INDEX_FIXED = 48           # up to and excluding Tool
ENTRY_FIXED = 88           # up to and excluding Name

FLAG_MTIME, FLAG_MODE, FLAG_EXPECTED_SIZE = 1, 2, 4
FLAG_OWNER, FLAG_XATTRS = 8, 16          # format 1.1 (§3.2)

HEADER_ENCRYPTED, HEADER_SIGNED = 1, 2   # Header_Flags bits 0 (§13) and 1 (§12)

# §3.2 and §9, format 1.1.
MAX_OWNER_NAME = 255
MAX_XATTR_NAME = 255
MAX_XATTR_VALUE = 65536
MAX_XATTR_LIST = 262144
NO_ID = 0xFFFFFFFF

# §12: signatures.
SPAN_DIGEST_SIZE = 32
TRAILER_SIZE = 134
TRAILER_MAGIC = b"ASIG"
ED25519 = 1
SIGNED_CONTEXT = b"adbk-signature-1"

# §13: encryption.
FORMAT_ENCRYPTED = 2       # Format_Major of an encrypted archive
MAX_STANZAS = 1024
MAX_STANZA_ARGS = 16
MAX_STANZA_TYPE = 64
MAX_KEY_RECORD = 1 << 20   # §13.8: a key record of at most 1 MiB
HEADER_MAC_SIZE = 32
SEAL_TAG = 16
FILE_KEY_SIZE = 16
CLEAR_INDEX_FIXED = 56     # §13.6, up to the clear entries
CLEAR_ENTRY_FIXED = 56
MEMBER_CLEAR, CHUNK_CLEAR, END_CLEAR = 8, 16, 24   # §13.5: the clear part of each record

# The 1.x minor version whose fields this reader knows: 2 (then it also reads 2.0),
# or 0 / 1 with --format 1.0 / 1.1.
KNOWN_MINOR = 2


def knows_signatures():
    return KNOWN_MINOR >= 2


def knows_encryption():
    return KNOWN_MINOR >= 2


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
    why = "CORRUPT"

    def __init__(self, offset, message):
        super().__init__(f"offset {offset}: {message}")
        self.offset = offset


class KeyRefused(FormatError):
    """§13.4: encrypted, and none of the identities given opens it (or none was given
    where content is needed)."""
    why = "KEY"


class AuthFailure(FormatError):
    """§13.3, §13.4: a sealed part or the Header_MAC does not authenticate."""
    why = "AUTH"


class SignatureFailure(FormatError):
    """§12: not signed by a trusted key, or the signature or a digest fails."""
    why = "SIGNATURE"


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


# --- Key texts: Bech32 (BIP 173) ---------------------------------------------------
#
# Written from BIP 173. Keys use it as age does: without BIP 173's 90-character limit,
# all upper case or all lower case, the checksum computed over the lower-case form.

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def bech32_polymod(values):
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= BECH32_GENERATOR[i]
    return chk


def bech32_hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def convert_bits(data, from_bits, to_bits, pad):
    """BIP 173's convertbits: None when the padding is not that of an encoder."""
    acc, bits, out = 0, 0, []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def bech32_decode(text):
    """(hrp in lower case, data bytes), or raises ValueError saying what is wrong."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise ValueError("a character outside US-ASCII 33-126")
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed upper and lower case")
    s = text.lower()
    sep = s.rfind("1")
    if sep < 1 or sep + 7 > len(s):
        raise ValueError("no separator '1' with a human-readable part before it and a "
                         "checksum after it")
    hrp, data = s[:sep], [BECH32_CHARSET.find(c) for c in s[sep + 1:]]
    if -1 in data:
        raise ValueError("a character outside the Bech32 alphabet")
    if bech32_polymod(bech32_hrp_expand(hrp) + data) != 1:
        raise ValueError("the Bech32 checksum does not match")
    decoded = convert_bits(data[:-6], 5, 8, False)
    if decoded is None:
        raise ValueError("invalid Bech32 padding")
    return hrp, bytes(decoded)


def bech32_encode(hrp, payload):
    data = convert_bits(payload, 8, 5, True)
    chk = bech32_polymod(bech32_hrp_expand(hrp) + data + [0] * 6) ^ 1
    data += [(chk >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data)


def parse_key_text(text, hrp, what):
    """The 32 bytes of a key written as Bech32 with that human-readable part."""
    try:
        got_hrp, key = bech32_decode(text.strip())
    except ValueError as e:
        raise ValueError(f"not a valid {what}: {e}") from None
    if got_hrp != hrp:
        raise ValueError(f"not a {what} (it starts with {got_hrp}1)")
    if len(key) != 32:
        raise ValueError(f"not a {what}: {len(key)} bytes, not 32")
    return key


def key_lines(text):
    """The lines of a key file that hold a key: not empty, not a '#' comment."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def read_identities(path):
    """age X25519 identities (age v1, "The X25519 recipient type"): AGE-SECRET-KEY-1...,
    the 32-byte secret scalar. Returns [(secret, public key)]."""
    with open(path, encoding="ascii", errors="replace") as f:
        lines = list(key_lines(f.read()))
    if not lines:
        raise ValueError(f"{path} holds no age identity")
    identities = []
    for line in lines:
        secret = parse_key_text(line, "age-secret-key-", "age identity (AGE-SECRET-KEY-1...)")
        identities.append((secret, x25519_base(secret)))
    return identities


def parse_trusted(arg):
    """--trust: an adbk-sign1... text (§12, "Key texts") or a file whose first key line
    is one. Returns the 32-byte Ed25519 public key."""
    if not arg.startswith("adbk-sign1"):
        with open(arg, encoding="ascii", errors="replace") as f:
            arg = next(key_lines(f.read()), "")
    return parse_key_text(arg, "adbk-sign", "adbk signing public key (adbk-sign1...)")


def sign_public_text(key):
    return bech32_encode("adbk-sign", key)


# --- Cryptography (§12, §13.3, §13.4) ------------------------------------------------
#
# SHA-256, HMAC and BLAKE2b are Python's own (hashlib, hmac); X25519, the two AEADs and
# Ed25519 are libsodium's through PyNaCl, imported only when an archive needs them.

def nacl_bindings():
    import nacl.bindings
    return nacl.bindings


def blake2b_256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def hkdf_sha256(ikm, salt, info, length=32):
    """RFC 5869 with SHA-256: Extract, then Expand."""
    prk = hmac.new(salt if salt else bytes(32), ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def x25519_base(secret):
    return nacl_bindings().crypto_scalarmult_base(secret)


def x25519(secret, point):
    """RFC 7748 X25519; None when the result is all zero (a low-order point), which
    libsodium refuses to return."""
    try:
        shared = nacl_bindings().crypto_scalarmult(secret, point)
    except Exception:        # PyNaCl raises on libsodium's refusal of an all-zero result
        return None
    return None if shared == bytes(32) else shared


def ed25519_verify(public_key, message, signature):
    import nacl.exceptions
    import nacl.signing
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False


@dataclass
class ArchiveKeys:
    """§13.3: the keys of one archive, from its File_Key."""
    payload: bytes
    mac: bytes


def derive_keys(file_key, archive_id):
    return ArchiveKeys(payload=hkdf_sha256(file_key, archive_id, b"adbk 2.0 payload"),
                       mac=hkdf_sha256(file_key, archive_id, b"adbk 2.0 header"))


def unseal(keys, rtype, member, chunk, ad, sealed, offset, what):
    """§13.3: opens Seal(P; Type, M, C, AD), or raises AuthFailure."""
    if len(sealed) < SEAL_TAG:
        raise FormatError(offset, f"{what}: sealed part of {len(sealed)} bytes, shorter than a tag")
    nonce = rtype + struct.pack("<QQ", member, chunk) + bytes(4)
    try:
        return nacl_bindings().crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, ad, nonce,
                                                                         keys.payload)
    except Exception:
        raise AuthFailure(offset, f"{what} does not authenticate: changed, moved, or from "
                                  "another archive or key") from None


# --- Records (§3) --------------------------------------------------------------------

@dataclass
class Record:
    offset: int        # file offset of the magic number
    size: int          # whole frame: 8 + Frame_Size
    rtype: bytes       # Record_Type, 4 ASCII letters
    body: bytes
    checksum_ok: bool
    raw: bytes         # the whole frame, for Span_Hash and Frame_Digest

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

    @property
    def encrypted(self):
        return self.major == FORMAT_ENCRYPTED

    @property
    def signed(self):
        """§12: Header_Flags bit 1, which only a reader of 1.2 knows."""
        return knows_signatures() and bool(self.flags & HEADER_SIGNED)


def parse_header(rec):
    """§3.1"""
    r = Fields(rec.body, rec.body_offset, "AHDR")
    major = r.u16("Format_Major")
    minor = r.u16("Format_Minor")
    newest = FORMAT_ENCRYPTED if knows_encryption() else 1
    if major > newest:
        raise FormatError(rec.body_offset, f"archive format {major}.x is newer than this reader")
    if major == 0:
        raise FormatError(rec.body_offset, f"archive format {major}.{minor} is not a known version")
    flags = r.u32("Header_Flags")          # unknown bits are ignored
    if knows_encryption() and bool(flags & HEADER_ENCRYPTED) != (major == FORMAT_ENCRYPTED):
        raise FormatError(rec.body_offset + 4, f"Header_Flags bit 0 (Encrypted) is "
                          f"{flags & HEADER_ENCRYPTED} in an archive of format {major}.{minor}")
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




def parse_member(body, base):
    """§3.2: the member record's body (in 2.0 the plaintext of its sealed part, §13.5)."""
    r = Fields(body, base, "AMBR")
    m = MemberRecord(
        number=r.u64("Member_Number"), kind=r.u8("Kind"), bft=r.u8("BFT"),
        flags=r.u16("Member_Flags"), expected_size=r.u64("Expected_Size"),
        mtime_sec=r.i64("Mtime_Sec"), mtime_nsec=r.u32("Mtime_Nsec"), mode=r.u32("Mode"),
        name=r.str16("Name"), source_path=r.str16("Source_Path"))
    m.owner, m.xattrs = parse_extras(r, m.flags, "AMBR")
    return m   # bytes past the known fields are ignored (§3)


def member_record_problems(m, where):
    """§3.2's "MUST be 0 without bit N" and the ranges of a member record's own fields
    (§8 item 6, the member record's side)."""
    problems = []
    if m.kind == 0:
        problems.append(f"{where}: member record has Kind 0")
    if m.mtime_nsec > 999_999_999:
        problems.append(f"{where}: member record has Mtime_Nsec {m.mtime_nsec}")
    if not m.flags & FLAG_MTIME and (m.mtime_sec or m.mtime_nsec):
        problems.append(f"{where}: member record has an Mtime without its flag bit 0")
    if not m.flags & FLAG_MODE and m.mode:
        problems.append(f"{where}: member record has a Mode without its flag bit 1")
    if not m.flags & FLAG_EXPECTED_SIZE and m.expected_size:
        problems.append(f"{where}: member record has an Expected_Size without its flag bit 2")
    if b"\0" in m.name or b"\0" in m.source_path:
        problems.append(f"{where}: member record has a NUL byte in Name or Source_Path")
    return problems


@dataclass
class MemberEnd:
    number: int
    size: int
    chunk_count: int
    content_hash: bytes


def parse_member_end(body, base):
    """§3.4 (in 2.0 the plaintext of the sealed part, §13.5)."""
    r = Fields(body, base, "AEND")
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
    digest: bytes = None    # §12: Span_Digest, signed archives only
    locked: bool = False    # §13: a clear entry only; kind, name, hash and the rest unknown


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
    end: int = 0             # body offset where the entries end (plain) or the sealed index
    not_after: int = None    # §13.6, encrypted archives only
    trailer: bytes = None    # §12: the signature trailer, when signed
    problems: list = field(default_factory=list)   # signature-side problems of the index


def parse_entry(r, signed):
    """One member entry of §3.5; `r` is positioned at its Entry_Size. Signed (§12): its
    last 32 bytes are its Span_Digest, after every field this reader knows."""
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
    if signed and e.remaining >= SPAN_DIGEST_SIZE:
        entry.digest = body[-SPAN_DIGEST_SIZE:]
    return entry   # other bytes past the known fields are skipped (§3.5)


def parse_index(body, base, signed, what="AIDX"):
    """§3.5: a plain index body (in 2.0 the plaintext of Sealed_Index, §13.6, whose
    entries carry no Span_Digest)."""
    r = Fields(body, base, what)
    archive_id = r.take(16, "Archive_Id")
    created = r.i64("Created")
    at = r.offset
    member_count = r.u64("Member_Count")
    if member_count > len(body) // INDEX_BYTES_PER_MEMBER:
        raise FormatError(at, f"Member_Count {member_count} impossible in an index body "
                              f"of {len(body)} bytes")
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
    for n in range(member_count):
        entry = parse_entry(r, signed)
        if signed and entry.digest is None:
            index.problems.append(f"index entry {n} holds no Span_Digest after its fields")
        index.entries.append(entry)
    index.end = r.pos
    return index


def take_trailer(index, body, base):
    """§12: the signature trailer is the index body's last 134 bytes and starts exactly
    where the entries (in 2.0: the sealed index) end."""
    if len(body) - index.end != TRAILER_SIZE:
        index.problems.append(f"the index body ends {len(body) - index.end} bytes after its "
                              f"{'sealed index' if index.not_after is not None else 'entries'}, "
                              f"not {TRAILER_SIZE}: no signature trailer where §12 puts it")
        return
    index.trailer = body[index.end:]


@dataclass
class ClearEntry:
    """§13.6: a clear entry of an encrypted index."""
    offset_in_file: int
    size: int
    first_frame: int
    offset: int
    chunk_count: int
    span: int
    span_hash: int
    digest: bytes = None


def parse_clear_index(body, base, signed):
    """§13.6 up to Sealed_Index: returns (Index with locked entries, clear entries,
    additional data of Sealed_Index, Sealed_Index, its file offset)."""
    r = Fields(body, base, "AIDX")
    archive_id = r.take(16, "Archive_Id")
    created = r.i64("Created")
    at = r.offset
    member_count = r.u64("Member_Count")
    if member_count > (len(body) - CLEAR_INDEX_FIXED) // CLEAR_ENTRY_FIXED:
        raise FormatError(at, f"Member_Count {member_count} impossible in an encrypted index "
                              f"body of {len(body)} bytes")
    index = Index(archive_id=archive_id, created=created, member_count=member_count,
                  index_frame=r.u64("Index_Frame"), index_offset=r.u64("Index_Offset"),
                  tool=None, not_after=r.i64("Not_After"))
    clear = []
    least = CLEAR_ENTRY_FIXED + (SPAN_DIGEST_SIZE if signed else 0)
    for n in range(member_count):
        start = r.offset
        entry_size = r.u32("Entry_Size")
        if entry_size < least:
            raise FormatError(start, f"clear entry {n}: Entry_Size {entry_size}, less than "
                                     f"{least}")
        e = Fields(r.take(entry_size - 4, "clear entry"), start + 4, "clear entry")
        e.u32("Entry_Flags")    # 0; a reader ignores bits it does not know (§3)
        ce = ClearEntry(offset_in_file=start, size=e.u64("Size"), first_frame=e.u64("First_Frame"),
                        offset=e.u64("Offset"), chunk_count=e.u64("Chunk_Count"),
                        span=e.u64("Span"), span_hash=e.u64("Span_Hash"))
        if signed:
            ce.digest = e.data[-SPAN_DIGEST_SIZE:]
        clear.append(ce)
        index.entries.append(Entry(
            offset_in_file=start, kind=None, bft=0, flags=0, size=ce.size, mtime_sec=0,
            mtime_nsec=0, mode=0, first_frame=ce.first_frame, offset=ce.offset,
            chunk_count=ce.chunk_count, span=ce.span, content_hash=None,
            span_hash=ce.span_hash, name=f"#{n}".encode(), source_path=b"", digest=ce.digest,
            locked=True))
    at = r.offset
    sealed_size = r.u32("Sealed_Size")
    if sealed_size < SEAL_TAG or sealed_size > r.remaining:
        raise FormatError(at, f"Sealed_Size {sealed_size}: not between {SEAL_TAG} and the "
                              f"{r.remaining} bytes left in the index body")
    ad = body[:r.pos]
    sealed_at = r.offset
    sealed = r.take(sealed_size, "Sealed_Index")
    index.end = r.pos
    return index, clear, ad, sealed, sealed_at


# --- The key record (§13.4) ------------------------------------------------------------

@dataclass
class Stanza:
    type: bytes
    args: list
    body: bytes


def parse_key_record(rec):
    """§13.4: (stanzas, Header_MAC). Stanzas fill the body up to Header_MAC exactly."""
    body = rec.body
    if len(body) < 2 + HEADER_MAC_SIZE:
        raise FormatError(rec.body_offset, f"key record body of {len(body)} bytes is too short")
    r = Fields(body[:-HEADER_MAC_SIZE], rec.body_offset, "AKEY")
    count = r.u16("Stanza_Count")
    if not 1 <= count <= MAX_STANZAS:
        raise FormatError(rec.body_offset, f"Stanza_Count {count} outside 1..{MAX_STANZAS}")
    stanzas = []
    for k in range(count):
        at = r.offset
        stype = r.str16("stanza Type")
        if not 1 <= len(stype) <= MAX_STANZA_TYPE or any(not 0x21 <= b <= 0x7E for b in stype):
            raise FormatError(at, f"stanza {k}: Type {stype!r} is not 1-{MAX_STANZA_TYPE} "
                                  "bytes of printable ASCII (0x21-0x7E)")
        nargs = r.u16("Arg_Count")
        if nargs > MAX_STANZA_ARGS:
            raise FormatError(at, f"stanza {k}: Arg_Count {nargs}, over {MAX_STANZA_ARGS}")
        args = [r.str16("stanza argument") for _ in range(nargs)]
        s = Stanza(stype, args, r.str16("stanza Body"))
        if s.type == b"X25519" and (len(s.args) != 1 or len(s.args[0]) != 32 or
                                    len(s.body) != FILE_KEY_SIZE + 16):
            # age v1: an identity MUST reject such a stanza, and check the body's length
            # before it tries to open it.
            raise FormatError(at, f"stanza {k}: an X25519 stanza needs one 32-byte argument "
                                  f"and a 32-byte body (has {len(s.args)} argument(s), a "
                                  f"{len(s.body)}-byte body)")
        stanzas.append(s)
    if r.remaining:
        raise FormatError(r.offset, f"{r.remaining} bytes between the last stanza and Header_MAC")
    return stanzas, body[-HEADER_MAC_SIZE:]


def unwrap_file_key(stanzas, identities, offset):
    """§13.4 and age v1, "The X25519 recipient type": the File_Key, or None when no
    X25519 stanza opens with any identity. Stanzas of other types are ignored; one whose
    shared secret is all zero is refused, as age requires (parse_key_record refused
    those of the wrong shape already)."""
    for k, s in enumerate(stanzas):
        if s.type != b"X25519":
            continue
        share = s.args[0]
        for secret, public in identities:
            shared = x25519(secret, share)
            if shared is None:
                raise FormatError(offset, f"stanza {k}: the X25519 shared secret is all zero")
            wrap = hkdf_sha256(shared, share + public, b"age-encryption.org/v1/X25519")
            try:
                return nacl_bindings().crypto_aead_chacha20poly1305_ietf_decrypt(
                    s.body, None, bytes(12), wrap)
            except Exception:
                continue      # another recipient's stanza
    return None


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


def compress_bound(chunk_size):
    """§3.3: the largest a chunk frame may be."""
    return chunk_size + (chunk_size >> 8) + ((131072 - chunk_size) >> 11 if chunk_size < 131072 else 0)


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
    if header.window_size is not None and header.window_size > MAX_CHUNK_SIZE:
        raise FormatError(offset + 4, f"chunk frame asks for a window of {header.window_size} "
                                      f"bytes, over {MAX_CHUNK_SIZE}")
    if len(frame) > compress_bound(chunk_size):
        raise FormatError(offset, f"chunk frame of {len(frame)} bytes, over the compress bound "
                                  f"of Chunk_Size ({compress_bound(chunk_size)})")
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


# --- Opening an archive from the tail (§4 "Finding things from the tail", §12, §13) ---

@dataclass
class Options:
    identities: list = field(default_factory=list)   # [(secret, public key)], --identity
    trusted: list = field(default_factory=list)      # [Ed25519 public key], --trust


OPTIONS = Options()


@dataclass
class Signature:
    """What the signature trailer (§12) says and whether it holds."""
    signer: bytes = None      # Public_Key, when the trailer could be read
    problem: str = None       # None when the signature and Prefix_Digest hold
    trusted: bool = False     # holds, by a key of --trust


@dataclass
class Archive:
    src: Source
    header: Header
    header_size: int           # bytes before the first member: header (and key) record
    prefix_frames: int         # frames before the first member: 1, or 2 when encrypted
    seek: SeekTable
    index: Index
    index_record: Record
    keys: ArchiveKeys = None   # encrypted and opened (§13.3)
    recipients: int = None     # encrypted: Stanza_Count
    signature: Signature = None  # signed: what its trailer says

    @property
    def encrypted(self):
        return self.header.encrypted

    @property
    def locked(self):
        return self.encrypted and self.keys is None

    @property
    def check_digests(self):
        """§12: a reader that trusts a key checks every member it reads against its
        signed Span_Digest."""
        return self.signature is not None and self.signature.trusted


def is_record_seek_entry(s):
    return (s.decompressed_size, s.checksum) == RECORD_SEEK_ENTRY


def open_key_record(src, header_rec, seek, offset, identities):
    """§13.4 at open: the key record (frame 1), the File_Key when an identity opens a
    stanza, and the Header_MAC. Returns (keys or None, Stanza_Count, the record)."""
    s = read_seek_entries(src, seek, 1, 1)[0]
    if not is_record_seek_entry(s) or s.compressed_size > MAX_KEY_RECORD:
        raise FormatError(seek.start + 8 + SEEK_ENTRY_SIZE, f"the seek-table entry of the key "
                          f"record ({s}) is not that of a record of at most {MAX_KEY_RECORD} bytes")
    rec = require_record(src, offset, b"AKEY", limit=offset + s.compressed_size)
    if rec.size != s.compressed_size:
        raise FormatError(offset, f"key record is {rec.size} bytes, seek table says "
                                  f"{s.compressed_size}")
    stanzas, mac = parse_key_record(rec)
    if not identities:
        return None, len(stanzas), rec
    file_key = unwrap_file_key(stanzas, identities, rec.body_offset)
    if file_key is None:
        raise KeyRefused(offset, f"encrypted to {len(stanzas)} recipient stanza(s); none opens "
                                 f"with the {len(identities)} identity(ies) given")
    keys = derive_keys(file_key, parse_header(header_rec).archive_id)
    want = hmac.new(keys.mac, header_rec.raw + rec.body[:-HEADER_MAC_SIZE], hashlib.sha256).digest()
    if not hmac.compare_digest(want, mac):
        raise AuthFailure(rec.offset + rec.size - 8 - HEADER_MAC_SIZE,
                          "Header_MAC does not match: the header or the key record was changed")
    return keys, len(stanzas), rec


def sealed_index_problems(index, clear_index, clear, header):
    """§13.6: the sealed index against the clear part and the header."""
    problems = []
    if index.archive_id != header.archive_id or index.created != header.created:
        problems.append("the sealed index's Archive_Id or Created differs from the header's")
    if index.tool != header.tool:
        problems.append("the sealed index's Tool differs from the header's")
    for name in ("member_count", "index_frame", "index_offset"):
        if getattr(index, name) != getattr(clear_index, name):
            problems.append(f"the sealed index's {name} {getattr(index, name)} differs from the "
                            f"clear one's {getattr(clear_index, name)}")
    for n, (e, c) in enumerate(zip(index.entries, clear)):
        for name, sealed_value in (("size", e.size), ("first_frame", e.first_frame),
                                   ("offset", e.offset), ("chunk_count", e.chunk_count),
                                   ("span", e.span), ("span_hash", e.span_hash)):
            if sealed_value != getattr(c, name):
                problems.append(f"index entry {n}: {name} is {sealed_value} sealed, "
                                f"{getattr(c, name)} in clear")
    return problems


def open_index(src, rec, header, keys):
    """The index record's body: §3.5 plain, or §13.6's clear part with, when the
    archive is open, its sealed index. Returns (Index, clear entries or None, problems
    of the sealed index)."""
    signed = header.signed
    if not header.encrypted:
        index = parse_index(rec.body, rec.body_offset, signed)
        if signed:
            take_trailer(index, rec.body, rec.body_offset)
        return index, None, []
    clear_index, clear, ad, sealed, sealed_at = parse_clear_index(rec.body, rec.body_offset, signed)
    if signed:
        take_trailer(clear_index, rec.body, rec.body_offset)
    if keys is None:
        return clear_index, clear, []
    plain = unseal(keys, b"AIDX", 0, 0, ad, sealed, sealed_at, "the sealed index")
    index = parse_index(plain, sealed_at, False, "sealed index")
    index.not_after, index.trailer = clear_index.not_after, clear_index.trailer
    index.end, index.problems = clear_index.end, clear_index.problems
    for e, c in zip(index.entries, clear):
        e.digest = c.digest
    return index, clear, sealed_index_problems(index, clear_index, clear, header)


def check_signature(header, index, prefix_frames, body):
    """§12, "What a reader checks": the trailer, the signature over the index body, the
    Prefix_Digest. Returns a Signature."""
    sig = Signature()
    if index.trailer is None or index.problems:
        sig.problem = "; ".join(index.problems) or "no signature trailer"
        return sig
    t = index.trailer
    magic, algorithm = t[0:4], struct.unpack_from("<H", t, 4)[0]
    prefix_digest, sig.signer, signature = t[6:38], t[38:70], t[70:134]
    if magic != TRAILER_MAGIC:
        sig.problem = f"Trailer_Magic is {magic!r}, not {TRAILER_MAGIC!r}"
    elif algorithm != ED25519:
        sig.problem = f"Signature_Algorithm {algorithm} is not 1 (Ed25519)"
    else:
        message = SIGNED_CONTEXT + hashlib.blake2b(body[:-64], digest_size=64).digest()
        if not ed25519_verify(sig.signer, message, signature):
            sig.problem = "the signature does not verify: the index was changed after signing"
        elif blake2b_256(b"".join(blake2b_256(f) for f in prefix_frames)) != prefix_digest:
            sig.problem = ("the frames before the first member do not match Prefix_Digest: "
                           "the header (or key record) was changed after signing")
    sig.trusted = sig.problem is None and sig.signer in OPTIONS.trusted
    return sig


def require_trust(arc, offset):
    """§12: told to trust keys, a reader refuses an archive that is unsigned, signed by
    another key, or whose signature or Prefix_Digest fails, before it hands out content."""
    if not OPTIONS.trusted:
        return
    if arc.signature is None:
        raise SignatureFailure(offset, "the archive is not signed, and a signer is required "
                                       "(--trust)")
    if arc.signature.problem:
        raise SignatureFailure(offset, f"signature: {arc.signature.problem}")
    if not arc.signature.trusted:
        raise SignatureFailure(offset, f"signed by {sign_public_text(arc.signature.signer)}, "
                                       "which is not a trusted key")


def open_from_tail(src, identities=None):
    """Reads the header (and key) record, the seek-table footer and the index record
    only, and checks everything §8 says spoils the whole archive."""
    identities = OPTIONS.identities if identities is None else identities
    if src.size < 12:
        raise FormatError(0, "file too small to be an archive")
    head = src.read(0, 12, "first record")
    if head[0:4] != struct.pack("<I", RECORD_MAGIC) or head[8:12] != b"AHDR":
        raise FormatError(0, "not an .adbk archive (no AHDR record at the start)")
    header_rec = require_record(src, 0, b"AHDR")
    header = parse_header(header_rec)

    seek = read_seek_table(src)
    prefix_frames = 2 if header.encrypted else 1
    if seek.frame_count < prefix_frames + 1:
        raise FormatError(seek.start, f"Number_Of_Frames {seek.frame_count}: too few for the "
                                      "records every archive has")
    first = read_seek_entries(src, seek, 0, 1)[0]
    if first.compressed_size != header_rec.size or not is_record_seek_entry(first):
        raise FormatError(seek.start + 8, f"the seek-table entry of the header record ({first}) "
                                         f"is not that of a record of {header_rec.size} bytes")
    keys, recipients, prefix = None, None, [header_rec.raw]
    if header.encrypted:
        keys, recipients, key_rec = open_key_record(src, header_rec, seek, header_rec.size,
                                                    identities)
        prefix.append(key_rec.raw)
    prefix_size = sum(len(p) for p in prefix)

    last_at = seek.start + 8 + SEEK_ENTRY_SIZE * (seek.frame_count - 1)
    last = read_seek_entries(src, seek, seek.frame_count - 1, 1)[0]
    index_offset = seek.start - last.compressed_size
    if index_offset < prefix_size:
        raise FormatError(last_at, f"last seek-table entry gives an index of "
                                   f"{last.compressed_size} bytes, more than the file holds")
    index_rec = require_record(src, index_offset, b"AIDX", limit=seek.start)
    if index_rec.size != last.compressed_size:
        raise FormatError(index_offset, f"index record is {index_rec.size} bytes, seek table "
                                        f"says {last.compressed_size}")
    if not is_record_seek_entry(last):
        raise FormatError(last_at, "seek-table entry of the index record is not that of a record")
    index, clear, sealed_problems = open_index(src, index_rec, header, keys)
    if sealed_problems:
        raise FormatError(index_offset, sealed_problems[0])
    if index.index_frame != seek.frame_count - 1:
        raise FormatError(index_offset, f"Index_Frame {index.index_frame}, expected "
                                        f"{seek.frame_count - 1}")
    if index.index_offset != index_offset:
        raise FormatError(index_offset, f"Index_Offset {index.index_offset}, but the index "
                                        f"record is at {index_offset}")
    if index.archive_id != header.archive_id or index.created != header.created:
        raise FormatError(index_offset + 12, "index Archive_Id or Created differs from the header's")
    if index.tool is not None and index.tool != header.tool:
        raise FormatError(index_offset + 12, "index Tool differs from the header's")
    problems = tiling_problems(index.entries, prefix_frames, prefix_size, index.index_frame,
                               index.index_offset)
    names = set()
    for n, entry in enumerate(index.entries):
        problems += entry_problems(entry, f"member {n} ({display_name(entry.name)})",
                                   header.chunk_size)
        if entry.name in names:
            problems.append(f"member {n}: name {display_name(entry.name)} appears twice")
        names.add(entry.name)
    for key, value in index.properties:
        why = property_problem(key, value)
        if why:
            problems.append(f"index: {why}")
    if problems:
        raise FormatError(index_offset, problems[0])
    arc = Archive(src, header, prefix_size, prefix_frames, seek, index, index_rec, keys, recipients)
    if header.signed:
        arc.signature = check_signature(header, index, prefix, index_rec.body)
    require_trust(arc, index_offset)
    return arc


def tiling_problems(entries, frame, offset, index_frame, index_offset):
    """§3.5 (§13.6 in 2.0): the entries cover exactly the frames and bytes between the
    records before the first member and the index, in order."""
    problems = []
    for n, entry in enumerate(entries):
        where = f"member {n} ({display_name(entry.name)})"
        if entry.first_frame != frame:
            problems.append(f"{where}: First_Frame {entry.first_frame}, expected {frame}")
        if entry.offset != offset:
            problems.append(f"{where}: Offset {entry.offset}, expected {offset}")
        frame = entry.first_frame + entry.chunk_count + 2
        offset = entry.offset + entry.span
    if frame != index_frame:
        problems.append(f"index entries end before frame {frame}, index is frame {index_frame}")
    if offset != index_offset:
        problems.append(f"index entries end at offset {offset}, index record is at {index_offset}")
    return problems


# --- Reading one member (§4 "Reading one member", §12, §13.5) ----------------------

def compare_member(entry, number, rec, end, where):
    """§8 item 4: the member and member-end records against the index entry.
    Returns a list of problems (strings)."""
    problems = []

    def check(what, recorded, indexed):
        if recorded != indexed:
            problems.append(f"{where}: {what} is {recorded!r} in the record, {indexed!r} in the index")

    if rec is not None:
        problems += member_record_problems(rec, where)
        check("member record Member_Number", rec.number, number)
        check("Kind", rec.kind, entry.kind)
        check("BFT", rec.bft, entry.bft)
        check("Member_Flags (the bits this reader knows, bit 2 ignored)",
              rec.flags & known_flags(), entry.flags & known_flags())
        check("Mtime_Sec", rec.mtime_sec, entry.mtime_sec)
        check("Mtime_Nsec", rec.mtime_nsec, entry.mtime_nsec)
        check("Mode", rec.mode & 0o7777, entry.mode & 0o7777)
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


def entry_problems(entry, where, chunk_size):
    """Checks of one index entry on its own (§3.5, §5, §6, §8 item 6); of a clear entry
    (§13.6) only the chunk count."""
    problems = []
    if entry.chunk_count != -(-entry.size // chunk_size):
        problems.append(f"{where}: Chunk_Count {entry.chunk_count} for Size {entry.size} "
                        f"(Chunk_Size {chunk_size})")
    if entry.locked:
        return problems
    if entry.kind == 0:
        problems.append(f"{where}: Kind 0 is invalid")
    if entry.kind == KIND_DIRECTORY and (entry.size != 0 or entry.chunk_count != 0):
        problems.append(f"{where}: directory with Size {entry.size}, {entry.chunk_count} chunks")
    if entry.mtime_nsec > 999_999_999:
        problems.append(f"{where}: Mtime_Nsec {entry.mtime_nsec} out of range")
    if not entry.flags & FLAG_MTIME and (entry.mtime_sec or entry.mtime_nsec):
        problems.append(f"{where}: an Mtime without its flag bit 0")
    if not entry.flags & FLAG_MODE and entry.mode:
        problems.append(f"{where}: a Mode without its flag bit 1")
    if not entry.name or b"\0" in entry.name or b"\0" in entry.source_path:
        problems.append(f"{where}: an empty name, or a NUL byte in Name or Source_Path")
    return problems


def chunk_content_size(entry, k, chunk_size):
    """§13.5: every chunk but the member's last holds Chunk_Size bytes."""
    return chunk_size if k < entry.chunk_count - 1 else entry.size - chunk_size * k


def sealed_parts(rec, clear_len, what):
    """A sealed record's body (§13.5): (clear part, sealed part)."""
    if len(rec.body) < clear_len + SEAL_TAG:
        raise FormatError(rec.body_offset, f"{what}: body of {len(rec.body)} bytes holds no "
                                           f"{clear_len}-byte clear part and tag")
    return rec.body[:clear_len], rec.body[clear_len:]


def open_member_record(arc, rec, number, where):
    """§3.2, or in 2.0 §13.5: the member record as a MemberRecord."""
    if not arc.encrypted:
        return parse_member(rec.body, rec.body_offset)
    clear, sealed = sealed_parts(rec, MEMBER_CLEAR, f"{where}: AMBR")
    if struct.unpack("<Q", clear)[0] != number:
        raise FormatError(rec.body_offset, f"{where}: AMBR's clear Member_Number is "
                                           f"{struct.unpack('<Q', clear)[0]}")
    plain = unseal(arc.keys, b"AMBR", number, 0, clear, sealed, rec.body_offset + MEMBER_CLEAR,
                   f"{where}: the sealed member record")
    return parse_member(plain, rec.body_offset + MEMBER_CLEAR)


def open_end_record(arc, rec, number, entry, where):
    """§3.4, or in 2.0 §13.5: the member-end record as a MemberEnd, its clear fields
    checked against the entry and their sealed copies."""
    if not arc.encrypted:
        return parse_member_end(rec.body, rec.body_offset)
    clear, sealed = sealed_parts(rec, END_CLEAR, f"{where}: AEND")
    fields = struct.unpack("<QQQ", clear)
    if fields != (number, entry.size, entry.chunk_count):
        raise FormatError(rec.body_offset, f"{where}: AEND's clear Member_Number, Size, "
                          f"Chunk_Count are {fields}, the index says "
                          f"{(number, entry.size, entry.chunk_count)}")
    if arc.keys is None:
        return None
    plain = unseal(arc.keys, b"AEND", number, 0, clear, sealed, rec.body_offset + END_CLEAR,
                   f"{where}: the sealed member-end record")
    end = parse_member_end(plain, rec.body_offset + END_CLEAR)
    if (end.number, end.size, end.chunk_count) != fields:
        raise FormatError(rec.body_offset, f"{where}: AEND's clear fields {fields} differ from "
                          f"their sealed copies {(end.number, end.size, end.chunk_count)}")
    return end


def check_chunk_record_size(rec, chunk_size):
    """§13.8: a chunk record's body holds at most its clear part, a chunk frame of the
    compress bound and a tag."""
    most = CHUNK_CLEAR + compress_bound(chunk_size) + SEAL_TAG
    if len(rec.body) > most:
        raise FormatError(rec.offset, f"chunk record body of {len(rec.body)} bytes, over {most}")


def open_chunk_record(arc, rec, number, k, where):
    """§13.5: a chunk record's sealed chunk frame (its clear Member_Number and
    Chunk_Index checked first)."""
    check_chunk_record_size(rec, arc.header.chunk_size)
    clear, sealed = sealed_parts(rec, CHUNK_CLEAR, f"{where}: ACHK")
    if struct.unpack("<QQ", clear) != (number, k):
        raise FormatError(rec.body_offset, f"{where}: chunk record {k} names member and chunk "
                                           f"{struct.unpack('<QQ', clear)}")
    return unseal(arc.keys, b"ACHK", number, k, clear, sealed, rec.body_offset + CHUNK_CLEAR,
                  f"{where}: sealed chunk {k}")


def read_member(arc, number):
    """Yields the content of member `number` chunk by chunk, reading only its own frames,
    and checks everything on the way. Raises FormatError on any damage."""
    src, entry = arc.src, arc.index.entries[number]
    where = f"member {number} ({display_name(entry.name)})"
    if arc.locked:
        raise KeyRefused(entry.offset, f"{where}: the archive is encrypted and no --identity "
                                       "given opens it")
    frames = entry.chunk_count + 2
    if entry.first_frame < arc.prefix_frames or \
            entry.first_frame + frames > arc.seek.frame_count - 1:
        raise FormatError(arc.index_record.offset, f"{where}: frames {entry.first_frame}.."
                          f"{entry.first_frame + frames - 1} are not between header and index")
    seek_entries = read_seek_entries(src, arc.seek, entry.first_frame, frames)
    if sum(s.compressed_size for s in seek_entries) != entry.span:
        raise FormatError(entry.offset, f"{where}: seek table gives a span of "
                          f"{sum(s.compressed_size for s in seek_entries)} bytes, index says {entry.span}")
    if entry.offset + entry.span > arc.index_record.offset or entry.offset < arc.header_size:
        raise FormatError(entry.offset, f"{where}: Offset/Span outside the member area")

    span_hash = xxhash.xxh3_64()
    digests = []               # §12: each frame's Frame_Digest
    offset = entry.offset

    def record(expected_type, seek_entry):
        rec = require_record(src, offset, expected_type, limit=offset + seek_entry.compressed_size)
        if rec.size != seek_entry.compressed_size or not is_record_seek_entry(seek_entry):
            raise FormatError(offset, f"{where}: seek-table entry does not match the record")
        span_hash.update(rec.raw)
        if arc.check_digests:
            digests.append(blake2b_256(rec.raw))
        return rec

    member = open_member_record(arc, record(b"AMBR", seek_entries[0]), number, where)
    problems = compare_member(entry, number, member, None, where)
    if problems:
        raise FormatError(offset, problems[0])
    offset += seek_entries[0].compressed_size

    content_hash = xxhash.xxh3_128()
    size = 0
    for k, seek_entry in enumerate(seek_entries[1:-1]):
        if arc.encrypted:
            rec = record(b"ACHK", seek_entry)
            frame = open_chunk_record(arc, rec, number, k, where)
            content, _ = decode_chunk(frame, offset + 12 + CHUNK_CLEAR, arc.header.chunk_size)
            want = chunk_content_size(entry, k, arc.header.chunk_size)
            if len(content) != want:
                raise FormatError(offset, f"{where}: chunk {k} holds {len(content)} bytes; "
                                          f"Size and Chunk_Size give {want}")
        else:
            if seek_entry.compressed_size > max_chunk_frame_length(arc.header.chunk_size):
                raise FormatError(offset, f"{where}: chunk frame of {seek_entry.compressed_size} "
                                  "bytes is beyond this reader's limit")
            frame = src.read(offset, seek_entry.compressed_size, "chunk frame")
            content, rebuilt = decode_chunk(frame, offset, arc.header.chunk_size)
            if rebuilt != seek_entry:
                raise FormatError(offset, f"{where}: chunk {k} does not match its seek-table entry")
            if k < entry.chunk_count - 1 and len(content) != arc.header.chunk_size:
                raise FormatError(offset, f"{where}: chunk {k} holds {len(content)} bytes; only "
                                  f"the last may hold less than Chunk_Size ({arc.header.chunk_size})")
            span_hash.update(frame)
            if arc.check_digests:
                digests.append(blake2b_256(frame))
        content_hash.update(content)
        size += len(content)
        offset += seek_entry.compressed_size
        yield content

    end = open_end_record(arc, record(b"AEND", seek_entries[-1]), number, entry, where)
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
    if arc.check_digests and blake2b_256(b"".join(digests)) != entry.digest:
        raise SignatureFailure(entry.offset, f"{where}: its frames do not hash to its signed "
                                             "Span_Digest: changed after signing")


def find_member(arc, name):
    for number, entry in enumerate(arc.index.entries):
        if entry.name == name:
            return number
    return None


# --- Verification (§8, §12, §13.7) -------------------------------------------------------

@dataclass
class SeenMember:
    """What walking the frames found for one member."""
    offset: int
    first_frame: int
    number: int = None            # the member record's Member_Number (clear in 2.0)
    record: MemberRecord = None
    end: MemberEnd = None
    clear_end: tuple = None       # 2.0: the member-end record's clear Number, Size, Chunk_Count
    chunks: int = 0
    size: int = 0
    last_chunk_short: bool = False
    span: int = 0
    damaged: bool = False
    content_hash: object = field(default_factory=xxhash.xxh3_128)
    span_hash: object = field(default_factory=xxhash.xxh3_64)
    digests: list = field(default_factory=list)   # §12: Frame_Digests of its frames


class Verifier:
    """Walks every frame of the file and checks all of §8 (and §12, §13.7), going on
    after damage. A key that opens nothing stops it (KeyRefused), as at open."""

    def __init__(self, src):
        self.src = src
        self.problems = []
        self.header = None         # Header, once read
        self.keys = None           # ArchiveKeys, encrypted and opened
        self.prefix = []           # raw frames before the first member (Prefix_Digest)

    def problem(self, message, offset=None):
        self.problems.append(message if offset is None else f"offset {offset}: {message}")

    @property
    def encrypted(self):
        return self.header is not None and self.header.encrypted

    def run(self):
        seek, seek_entries = self.load_seek_table()
        walk = self.walk(seek, seek_entries)
        self.check_seek_table(seek, seek_entries, walk)
        self.check_index(seek, walk)
        self.check_signature(walk)
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
            "header": None, "header_size": None, "prefix_size": None,
            "index": None, "clear": None, "index_offset": None, "index_frame": None,
            "members": [], "seek_start": None, "resynced": False,
        }
        bounds = self.boundaries(seek, seek_entries)
        chunk_size = None          # from the header; None while it is unknown
        current = None             # SeenMember being walked
        state = "start"            # start, key, members, after-index, end
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
                    if state in ("start", "key") and rec.rtype in (b"AHDR", b"AKEY"):
                        self.prefix.append(rec.raw)
                    state, current, chunk_size = self.on_record(rec, frame_no, state, current, w,
                                                                chunk_size)
                    size = rec.size
                else:
                    _, size = zstd_frame_length(lambda o, n: src.read(o, n, "zstd frame"), offset,
                                                src.size,
                                                max_chunk_frame_length(chunk_size or MAX_CHUNK_SIZE))
                    frame = src.read(offset, size, "chunk frame")
                    if self.encrypted:
                        self.problem(f"frame {frame_no}: a Zstandard frame in an encrypted "
                                     "archive, where every frame is a record (§13.2)", offset)
                    try:
                        content, rebuilt = decode_chunk(frame, offset, chunk_size or MAX_CHUNK_SIZE)
                    except FormatError as e:
                        self.problem(f"chunk frame {frame_no}: {e}")
                        content, rebuilt = None, None
                        if current is not None:
                            current.damaged = True
                    w["frames"][frame_no] = (offset, rebuilt)
                    current = self.on_chunk(frame, content, offset, frame_no, current, chunk_size)
                    if current is not None and self.encrypted:
                        current.damaged = True
            except KeyRefused:
                raise
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
        """§8 item 2: record checksum and the order of record types (§2, §13.2)."""
        rtype = rec.rtype.decode("ascii", "replace")
        if not rec.checksum_ok:
            self.problem(f"{rtype} record (frame {frame_no}): Record_Checksum mismatch",
                         rec.offset + rec.size - 8)
        if current is not None:
            current.span_hash.update(rec.raw)
            current.span += rec.size
            current.digests.append(blake2b_256(rec.raw))
        try:
            if rec.rtype == b"AHDR":
                if state != "start" or frame_no != 0:
                    self.problem("AHDR record not first in the file", rec.offset)
                    return state, current, chunk_size
                self.header = w["header"] = parse_header(rec)
                w["header_size"] = w["prefix_size"] = rec.size
                w["header_raw"] = rec.raw
                return ("key" if self.encrypted else "members"), current, w["header"].chunk_size
            if state == "start":
                self.problem(f"file does not start with an AHDR record (found {rtype})", rec.offset)
                state = "members"
            if rec.rtype == b"AKEY" and self.encrypted:
                key_state, state = state, "members"   # members follow, whatever it holds
                self.on_key_record(rec, frame_no, key_state, w)
                return state, current, chunk_size
            if state == "key":
                self.problem(f"an encrypted archive's second frame is a {rtype} record, not "
                             "its AKEY record", rec.offset)
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
                current.digests.append(blake2b_256(rec.raw))
                current.damaged = not rec.checksum_ok
                self.on_member_record(rec, current)
                return state, current, chunk_size
            if rec.rtype == b"ACHK" and self.encrypted:
                if current is None:
                    self.problem("ACHK record outside any member", rec.offset)
                    return state, current, chunk_size
                self.on_chunk_record(rec, current, chunk_size)
                return state, current, chunk_size
            if rec.rtype == b"AEND":
                if current is None:
                    self.problem("AEND record without a member record", rec.offset)
                    return state, current, chunk_size
                current.damaged |= not rec.checksum_ok
                self.on_end_record(rec, current)
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
                w["index_body"] = rec.body
                if rec.checksum_ok and self.header is not None:
                    self.on_index_record(rec, w)
                return "after-index", current, chunk_size
            self.problem(f"unknown record type {rec.rtype!r}", rec.offset + 8)
        except KeyRefused:
            raise
        except FormatError as e:
            self.problem(f"{rtype} record (frame {frame_no}): [{e.why}] {e}")
            if current is not None:
                current.damaged = True
        return state, current, chunk_size

    # §13.4: the key record, opened with the identities given.
    def on_key_record(self, rec, frame_no, state, w):
        if state != "key" or frame_no != 1:
            self.problem("AKEY record not second in the file", rec.offset)
        w["prefix_size"] = (w["prefix_size"] or 0) + rec.size
        if not rec.checksum_ok:
            return
        stanzas, mac = parse_key_record(rec)
        if not OPTIONS.identities:
            return
        file_key = unwrap_file_key(stanzas, OPTIONS.identities, rec.body_offset)
        if file_key is None:
            raise KeyRefused(rec.offset, f"encrypted to {len(stanzas)} recipient stanza(s); "
                                         f"none opens with the {len(OPTIONS.identities)} "
                                         "identity(ies) given")
        keys = derive_keys(file_key, self.header.archive_id)
        want = hmac.new(keys.mac, w["header_raw"] + rec.body[:-HEADER_MAC_SIZE],
                        hashlib.sha256).digest()
        if not hmac.compare_digest(want, mac):
            self.problem("[AUTH] Header_MAC does not match: the header or the key record was "
                         "changed; nothing sealed is opened", rec.offset)
            return
        self.keys = keys

    def on_member_record(self, rec, m):
        if not self.encrypted:
            m.record = parse_member(rec.body, rec.body_offset)
            m.number = m.record.number
            return
        clear, sealed = sealed_parts(rec, MEMBER_CLEAR, "AMBR")
        m.number = struct.unpack("<Q", clear)[0]
        if self.keys is not None and rec.checksum_ok:
            plain = unseal(self.keys, b"AMBR", m.number, 0, clear, sealed,
                           rec.body_offset + MEMBER_CLEAR, f"member {m.number}'s member record")
            m.record = parse_member(plain, rec.body_offset + MEMBER_CLEAR)

    def on_chunk_record(self, rec, m, chunk_size):
        """§13.5, §13.7: a chunk record: its clear part in order; opened, the chunk frame
        with every rule of §3.3."""
        k = m.chunks
        m.chunks += 1
        check_chunk_record_size(rec, chunk_size or MAX_CHUNK_SIZE)
        clear, sealed = sealed_parts(rec, CHUNK_CLEAR, "ACHK")
        number, index = struct.unpack("<QQ", clear)
        if (number, index) != (m.number, k):
            m.damaged = True
            raise FormatError(rec.body_offset, f"chunk record names member {number} chunk "
                                               f"{index}; expected member {m.number} chunk {k}")
        if self.keys is None or not rec.checksum_ok:
            return
        frame = unseal(self.keys, b"ACHK", number, index, clear, sealed,
                       rec.body_offset + CHUNK_CLEAR, f"member {number} chunk {index}")
        content, _ = decode_chunk(frame, rec.body_offset + CHUNK_CLEAR, chunk_size or MAX_CHUNK_SIZE)
        if chunk_size is not None:
            if m.last_chunk_short:
                m.damaged = True
                self.problem(f"member {number}: a chunk before chunk {k} holds less than "
                             "Chunk_Size but is not the last", rec.offset)
            m.last_chunk_short = len(content) != chunk_size
        m.content_hash.update(content)
        m.size += len(content)

    def on_end_record(self, rec, m):
        if not self.encrypted:
            m.end = parse_member_end(rec.body, rec.body_offset)
            return
        clear, sealed = sealed_parts(rec, END_CLEAR, "AEND")
        m.clear_end = struct.unpack("<QQQ", clear)
        if self.keys is not None and rec.checksum_ok:
            plain = unseal(self.keys, b"AEND", m.clear_end[0], 0, clear, sealed,
                           rec.body_offset + END_CLEAR, f"member {m.clear_end[0]}'s member-end record")
            m.end = parse_member_end(plain, rec.body_offset + END_CLEAR)
            if (m.end.number, m.end.size, m.end.chunk_count) != m.clear_end:
                m.damaged = True
                self.problem(f"member {m.clear_end[0]}: AEND's clear fields {m.clear_end} differ "
                             "from their sealed copies", rec.offset)

    def on_index_record(self, rec, w):
        if not self.encrypted:
            w["index"], _, _ = open_index(self.src, rec, self.header, None)
            return
        try:
            w["index"], w["clear"], problems = open_index(self.src, rec, self.header, self.keys)
        except AuthFailure as e:
            self.problem(f"[AUTH] {e}")
            w["index"], w["clear"], _ = open_index(self.src, rec, self.header, None)
            self.keys = None
            return
        for p in problems:
            self.problem(p, rec.offset)

    def on_chunk(self, frame, content, offset, frame_no, current, chunk_size):
        """§8 item 3 (the per-member part): chunks belong to a member; all but the last full."""
        if current is None:
            self.problem(f"chunk frame {frame_no} outside any member", offset)
            return None
        current.span_hash.update(frame)
        current.span += len(frame)
        current.digests.append(blake2b_256(frame))
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

    # §8 items 4 and 5 (§13.7 in clear, and opened).
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
            if index.tool is not None and index.tool != header.tool:
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
        prefix_frames = 2 if self.encrypted else 1
        for p in tiling_problems(index.entries, prefix_frames, w["prefix_size"] or 0,
                                 index.index_frame, w["index_offset"]):
            self.problem(p, w["index_offset"])
        names = set()
        for n, entry in enumerate(index.entries):
            where = f"member {n} ({display_name(entry.name)})"
            for p in entry_problems(entry, where, header.chunk_size if header else 1 << 62):
                self.problem(p, entry.offset_in_file)
            if entry.name in names:
                self.problem(f"{where}: name appears twice in the index", entry.offset_in_file)
            names.add(entry.name)

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
            problems = self.member_problems(n, entry, m, where)
            for p in problems:
                self.problem(p, entry.offset)
            if m.damaged and not problems:
                self.problem(f"{where}: damaged (see above)", entry.offset)

    def member_problems(self, n, entry, m, where):
        problems = []
        if m.first_frame != entry.first_frame:
            problems.append(f"{where}: member record is frame {m.first_frame}, "
                            f"First_Frame says {entry.first_frame}")
        if m.chunks != entry.chunk_count:
            problems.append(f"{where}: {m.chunks} chunk frames, index says {entry.chunk_count}")
        if m.span != entry.span:
            problems.append(f"{where}: span is {m.span} bytes, index says {entry.span}")
        if m.span_hash.intdigest() != entry.span_hash:
            problems.append(f"{where}: Span_Hash mismatch")
        if self.encrypted:
            if m.number != n:
                problems.append(f"{where}: AMBR's clear Member_Number is {m.number}")
            if m.clear_end is not None and m.clear_end != (n, entry.size, entry.chunk_count):
                problems.append(f"{where}: AEND's clear Member_Number, Size, Chunk_Count are "
                                f"{m.clear_end}, the index says {(n, entry.size, entry.chunk_count)}")
            if entry.locked:
                return problems
        problems += compare_member(entry, n, m.record, m.end, where)
        if m.size != entry.size:
            problems.append(f"{where}: content is {m.size} bytes, index says {entry.size}")
        if m.content_hash.digest() != entry.content_hash:
            problems.append(f"{where}: content XXH3-128 {m.content_hash.hexdigest()} differs "
                            f"from Content_Hash {entry.content_hash.hex()}")
        return problems

    # §12: the signature, Prefix_Digest and every member's Span_Digest.
    def check_signature(self, w):
        header, index = w["header"], w["index"]
        if header is None or index is None:
            return
        if not header.signed:
            if OPTIONS.trusted:
                self.problem("[SIGNATURE] the archive is not signed, and a signer is required "
                             "(--trust)")
            return
        sig = check_signature(header, index, self.prefix, w["index_body"])
        if sig.problem:
            self.problem(f"[SIGNATURE] {sig.problem}", w["index_offset"])
        elif OPTIONS.trusted and not sig.trusted:
            self.problem(f"[SIGNATURE] signed by {sign_public_text(sig.signer)}, which is not a "
                         "trusted key", w["index_offset"])
        by_offset = {m.offset: m for m in w["members"]}
        for n, entry in enumerate(index.entries):
            m = by_offset.get(entry.offset)
            if m is None or entry.digest is None:
                continue
            if blake2b_256(b"".join(m.digests)) != entry.digest:
                self.problem(f"[SIGNATURE] member {n} ({display_name(entry.name)}): its frames "
                             "do not hash to its signed Span_Digest", entry.offset)


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
            if entry.locked:      # §13.1: what is in clear
                print(f"encrypted\t{entry.size}\t-\t{display_name(entry.name)}" +
                      ("\t-\t-" if long_form else ""))
                continue
            line = (f"{kind_name(entry.kind)}\t{entry.size}\t{entry.content_hash.hex()}\t"
                    f"{display_name(entry.name)}")
            if long_form:
                line += f"\t{owner_text(entry.owner)}\t{xattrs_text(entry.xattrs)}"
            print(line)
    return 0


def cmd_info(path):
    """The archive's own facts (§3.1, §12, §13.6), one "key value" a line."""
    with open(path, "rb") as f:
        arc = open_from_tail(Source(f))
    h, sig = arc.header, arc.signature
    print(f"format {h.major}.{h.minor}")
    print(f"id {h.archive_id.hex()}")
    print(f"created {h.created}")
    print(f"chunk_size {h.chunk_size}")
    print(f"tool {shown(h.tool)}")
    print(f"encrypted {'yes' if arc.encrypted else 'no'}")
    if arc.encrypted:
        print(f"locked {'yes' if arc.locked else 'no'}")
        print(f"recipients {arc.recipients}")
        print(f"not_after {arc.index.not_after}")
    print(f"signed {'yes' if h.signed else 'no'}")
    if sig is not None:
        print(f"signer {sign_public_text(sig.signer) if sig.signer else '-'}")
        print(f"signature {'good' if sig.problem is None else 'FAILS: ' + sig.problem}")
        print(f"trusted {'yes' if sig.trusted else 'no'}")
    print(f"members {len(arc.index.entries)}")
    for key, value in arc.index.properties:
        print(f"property {shown(key)}={shown(value)}")
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
        if arc.locked:
            raise KeyRefused(0, "the archive is encrypted and no --identity given opens it: "
                                "its names and contents are hidden")
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
        if arc.locked:
            raise KeyRefused(0, "the archive is encrypted and no --identity given opens it: "
                                "nothing can be extracted")
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
            except FormatError as e:
                print(f"spec_reader: member {number} {shown}: [{e.why}] {e}", file=sys.stderr)
                failures += 1
            except OSError as e:
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




USAGE = """usage: spec_reader.py [OPTIONS] list [--long] ARCHIVE
       spec_reader.py [OPTIONS] info ARCHIVE
       spec_reader.py [OPTIONS] verify ARCHIVE
       spec_reader.py [OPTIONS] extract ARCHIVE DIR [--unknown-kinds]
       spec_reader.py [OPTIONS] cat ARCHIVE NAME
options: --format 1.0|1.1, --identity FILE, --trust KEY (see the file's docstring)"""


def take_options(argv):
    """Takes --format, --identity and --trust (each with its value) out of argv.
    Returns the rest, or None on a usage error."""
    global KNOWN_MINOR
    rest, i = [], 0
    while i < len(argv):
        opt = argv[i]
        if opt not in ("--format", "--identity", "--trust"):
            rest.append(opt)
            i += 1
            continue
        if i + 1 >= len(argv):
            return None
        value = argv[i + 1]
        i += 2
        if opt == "--format":
            if value not in ("1.0", "1.1", "1.2", "2.0"):
                return None
            KNOWN_MINOR = {"1.0": 0, "1.1": 1}.get(value, 2)
            continue
        try:
            if opt == "--identity":
                OPTIONS.identities += read_identities(value)
            else:
                OPTIONS.trusted.append(parse_trusted(value))
        except (OSError, ValueError) as e:
            print(f"spec_reader: {opt} {value}: {e}", file=sys.stderr)
            return None
    if (OPTIONS.identities or OPTIONS.trusted) and not knows_encryption():
        print("spec_reader: --identity and --trust need a reader of 1.2/2.0", file=sys.stderr)
        return None
    return rest


def main(argv):
    args = take_options(argv[1:])
    if not args:
        print(USAGE, file=sys.stderr)
        return 2
    command, args = args[0], args[1:]
    try:
        if command == "list" and len(args) == 1:
            return cmd_list(args[0])
        if command == "list" and len(args) == 2 and args[0] == "--long":
            return cmd_list(args[1], True)
        if command == "info" and len(args) == 1:
            return cmd_info(args[0])
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
        print(f"spec_reader: {args[-1] if command == 'list' else args[0]}: [{e.why}] {e}",
              file=sys.stderr)
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
