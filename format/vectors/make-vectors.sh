#!/bin/sh
# Rebuilds the golden archives of the current format version from their
# inputs. Run it only for a deliberate format change (then raise the version
# in FORMAT.md and keep the old vectors):
#   format/vectors/make-vectors.sh BUILD_DIR
# The inputs (NAME/ folders and NAME.manifest) are plain files; the archives are
# written by the test program in --write mode with a fixed id, time and tool;
# the expected listings come from stat and xxhsum, not from adbk.
#
# Vectors of older versions are frozen: v1-basic and v1-empty (format 1.0) were
# written by the 1.0 writer, whose script made their inputs and listings the
# same way (v1-basic/ holds its content files). A writer of a later minor
# version would write them with its own Format_Minor, so they are not rebuilt.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: make-vectors.sh BUILD_DIR}
cd "$here"
current="v1.1-xattrs"

# hexbytes HH...: the bytes with those hex values (POSIX printf, octal escapes).
hexbytes() { for h in "$@"; do printf "\\$(printf '%03o' "0x$h")"; done; }

# v1.1-xattrs (format 1.1): a sysvol-like folder whose members carry owners
# and extended attributes: NT ACLs (security.NTACL), POSIX ACLs (the kernel's
# binary form of system.posix_acl_access/default), a value with NUL bytes and
# an attribute with an empty value; a member with an owner only, one with an
# empty attribute list and one with neither.
v=v1.1-xattrs
rm -rf "$v" && mkdir -p "$v/xattr"
printf '[General]\r\nVersion=3\r\ndisplayName=New Group Policy Object\r\n' > "$v/GPT.INI"
seq 1 1200 | awk '{printf "HKLM\\Software\\Policies\\Key%04d=%d\n", $1, $1 * 7}' | head -c 6000 > "$v/Registry.pol"
printf '@echo off\r\nnet use H: \\\\fs01\\home\r\n' > "$v/logon.cmd"
printf 'plain\n' > "$v/plain.txt"
# An NTACL-like blob: version 4, a hash type and hash, a description, then a
# self-relative security descriptor (owner S-1-5-32-544, group S-1-5-18, a
# DACL with one ACE granting S-1-5-32-544 full control).
{
    hexbytes 04 00 04 00 00 00 02 00 01 00
    head -c 64 /dev/zero
    printf 'posix_acl'; hexbytes 00
    hexbytes 00 e0 5a 9c 3e d4 d9 01
    hexbytes 01 00 04 80 14 00 00 00 24 00 00 00 00 00 00 00 30 00 00 00
    hexbytes 01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00
    hexbytes 01 01 00 00 00 00 00 05 12 00 00 00
    hexbytes 02 00 20 00 01 00 00 00 00 03 18 00 ff 01 1f 00
    hexbytes 01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00
} > "$v/xattr/ntacl"
# POSIX ACLs as the kernel stores them: u32 version 2, then (u16 tag, u16
# permissions, u32 id) per entry: user::rwx user:3000000:rwx group::r-x
# mask::rwx other::r-x.
posix_acl() {
    hexbytes 02 00 00 00
    hexbytes 01 00 07 00 ff ff ff ff  02 00 07 00 c0 c6 2d 00  04 00 05 00 ff ff ff ff
    hexbytes 10 00 07 00 ff ff ff ff  20 00 05 00 ff ff ff ff
}
posix_acl > "$v/xattr/posix-acl"
hexbytes 00 01 00 00 61 00 62 00 ff fe 00 > "$v/xattr/binary-nul"
printf '0x10' > "$v/xattr/dosattrib"
: > "$v/xattr/empty"

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
