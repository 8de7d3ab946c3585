#!/bin/sh
# Rebuilds the golden archives of the current format version from their
# inputs. Run it only for a deliberate format change (then raise the version
# in FORMAT.md and keep the old vectors):
#   format/vectors/make-vectors.sh BUILD_DIR
# The inputs (NAME/ folders, NAME.manifest, NAME.properties and NAME.keys)
# are plain files; the archives are written by the test program in --write
# mode with a fixed id, time and tool, signed and encrypted with the public
# test keys of keys/ as NAME.keys says; the expected listings come from stat
# and xxhsum, not from adbk.
#
# Vectors of older versions are frozen: v1-basic and v1-empty (format 1.0)
# were written by the 1.0 writer, v1.1-xattrs (1.1) by the 1.1 writer, whose
# scripts made their inputs and listings the same way (their NAME/ folders
# hold the content files; this script's history shows how the 1.1 inputs were
# made). A writer of a later minor version would write them with its own
# Format_Minor, so they are not rebuilt.
#
# v2.0-encrypted is written anew each time with a random File_Key and random
# ephemeral shares (FORMAT.md 13.3, 13.4): its bytes differ from run to run,
# and test_vectors reads it rather than rebuilding it byte for byte.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: make-vectors.sh BUILD_DIR}
cd "$here"
current="v1.2-signed v2.0-encrypted"

# A member's content files, the same bytes on every machine: a database-like
# file of three 4 KiB chunks and a bit, a log of two, a token, a text with a
# non-ASCII name's content, and attribute values.
db_pages() { seq 1 700 | awk '{printf "page %05d: dn=CN=user%04d,CN=Users,DC=corp,DC=example,DC=com\n", $1, $1 % 97}' | head -c "$1"; }
log_records() { seq 1 400 | awk '{printf "lgpos %08x record %d\n", $1 * 4096, $1}' | head -c "$1"; }
hexbytes() { for h in "$@"; do printf "\\$(printf '%03o' "0x$h")"; done; }

# v1.2-signed (format 1.2): a plain archive signed with keys/sign.key: a folder
# with an owner and attributes, a 3-chunk database, a 2-chunk log, an empty
# file, a non-ASCII name and an expiry token. Ed25519 is deterministic, so the
# writer rebuilds it byte for byte.
v=v1.2-signed
rm -rf "$v" && mkdir -p "$v/xattr"
db_pages 12500 > "$v/ntds.dit"
log_records 5000 > "$v/edb00042.log"
printf 'Grüße aus Köln\n' > "$v/gruesse.txt"
hexbytes 01 00 00 00 e0 5a 9c 3e d4 d9 01 00 > "$v/token"
printf '0x10' > "$v/xattr/dosattrib"
hexbytes 02 00 00 00 01 00 07 00 ff ff ff ff 04 00 05 00 ff ff ff ff 20 00 05 00 ff ff ff ff > "$v/xattr/posix-acl"
printf 'kind\tbft\tmode\tmtime\tname\tsource_path\tfile\towner\txattrs\n' > "$v.manifest"
{
    printf 'directory\t0\t0750\t1700000000\tNTDS\t\\\\DC02\\C$\\Windows\\NTDS\t-\t0:0:root:root\tuser.DOSATTRIB=xattr/dosattrib,system.posix_acl_access=xattr/posix-acl\n'
    printf 'database\t68\t0600\t1700000100\tNTDS/ntds.dit\t\\\\DC02\\C$\\Windows\\NTDS\\ntds.dit\tntds.dit\t-\t-\n'
    printf 'log\t33\t0600\t1700000200\tNTDS/edb00042.log\t\\\\DC02\\C$\\Windows\\NTDS\\edb00042.log\tedb00042.log\t-\t-\n'
    printf 'file\t0\t0644\t1700000300\tNTDS/empty.dat\t\t-\t-\tnone\n'
    printf 'file\t0\t0644\t1700000400\tnotes/Grüße.txt\t\tgruesse.txt\t1000:1000:alice:staff\t-\n'
    printf 'expiry-token\t0\t0600\t1700000000\texpiry-token\t\ttoken\t-\t-\n'
} >> "$v.manifest"
printf 'source\tdsbackup\nserver\tDC02\ndomain\tcorp.example.com\nbackup.type\tfull\n' > "$v.properties"
cat > "$v.keys" <<'EOF'
# How this vector was written and how it is read (paths relative to format/vectors;
# keys/README.md: public test keys). Writer: --recipients-file, --sign. Reader:
# --identity, --trust (the options adbk and tests/spec/spec_reader.py take).
--sign keys/sign.key
--trust keys/sign.pub
EOF

# v2.0-encrypted (format 2.0): the same kinds of members as a directory backup,
# encrypted to keys/age-recipient.txt and signed with keys/sign.key; its
# properties give a tombstone lifetime, so Not_After is Created + 180 days.
v=v2.0-encrypted
rm -rf "$v" && mkdir -p "$v/xattr"
db_pages 9000 > "$v/ntds.dit"
log_records 4096 > "$v/edb00043.log"
printf 'a secret a reader without the key must not see\n' > "$v/secret.txt"
hexbytes 01 00 00 00 00 e1 f5 05 00 00 00 00 > "$v/token"
hexbytes 04 00 04 00 00 00 02 00 01 00 00 00 > "$v/xattr/ntacl"
printf 'kind\tbft\tmode\tmtime\tname\tsource_path\tfile\towner\txattrs\n' > "$v.manifest"
{
    printf 'directory\t0\t0750\t1700000000\tNTDS\t\\\\DC03\\C$\\Windows\\NTDS\t-\t-\t-\n'
    printf 'database\t68\t0600\t1700000100\tNTDS/ntds.dit\t\\\\DC03\\C$\\Windows\\NTDS\\ntds.dit\tntds.dit\t-\t-\n'
    printf 'log\t33\t0600\t1700000200\tNTDS/edb00043.log\t\\\\DC03\\C$\\Windows\\NTDS\\edb00043.log\tedb00043.log\t-\t-\n'
    printf 'file\t0\t0644\t1700000300\tNTDS/empty.dat\t\t-\t-\t-\n'
    printf 'file\t0\t0640\t1700000400\tprivate/secret.txt\t\tsecret.txt\t3000000:3000001:CORP\\Administrator:\tsecurity.NTACL=xattr/ntacl\n'
    printf 'expiry-token\t0\t0600\t1700000000\texpiry-token\t\ttoken\t-\t-\n'
} >> "$v.manifest"
printf 'source\tdsbackup\nserver\tDC03\ndomain\tcorp.example.com\nbackup.type\tfull\ntombstone.lifetime.days\t180\n' > "$v.properties"
cat > "$v.keys" <<'EOF'
# How this vector was written and how it is read (paths relative to format/vectors;
# keys/README.md: public test keys). Writer: --recipients-file, --sign. Reader:
# --identity, --trust (the options adbk and tests/spec/spec_reader.py take).
--recipients-file keys/age-recipient.txt
--sign keys/sign.key
--identity keys/age-identity.txt
--trust keys/sign.pub
EOF

"$build/tests/test_vectors" --write "$here" $current

for v in $current; do
    : > "$v.expected"
    # kind size xxh128 name owner attributes, one line per member in manifest
    # order (awk keeps empty fields, which a shell read with a tab IFS would
    # merge). Attributes: NAME:SIZE:XXH128 sorted by name in byte order,
    # ";"-separated; "-" when the member stores none, "" when its list is empty.
    awk -F'\t' 'NR > 1 {print $1 "\t" $7 "\t" $5 "\t" $8 "\t" $9}' "$v.manifest" |
    while IFS= read -r line; do
        kind=$(printf '%s' "$line" | cut -f1); file=$(printf '%s' "$line" | cut -f2)
        name=$(printf '%s' "$line" | cut -f3); owner=$(printf '%s' "$line" | cut -f4)
        xattrs=$(printf '%s' "$line" | cut -f5)
        if [ "$file" = "-" ]; then size=0; hash=99aa06d3014798d86001c324468d497f
        else size=$(stat -c %s "$v/$file"); hash=$(xxhsum -H2 "$v/$file" | cut -d' ' -f1); fi
        case $xattrs in
        -) attrs=- ;;
        none) attrs= ;;
        *) attrs=$(printf '%s\n' "$xattrs" | tr ',' '\n' | LC_ALL=C sort -t= -k1,1 |
                   while IFS== read -r an af; do
                       printf '%s:%s:%s\n' "$an" "$(stat -c %s "$v/$af")" \
                           "$(xxhsum -H2 "$v/$af" | cut -d' ' -f1)"
                   done | paste -sd';' -) ;;
        esac
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$size" "$hash" "$name" "$owner" "$attrs" >> "$v.expected"
    done
done
zstd --version | sed 's/.*v\([0-9.]*\).*/\1/' > zstd-version
echo "vectors rebuilt; check them in together with a FORMAT.md version note"
