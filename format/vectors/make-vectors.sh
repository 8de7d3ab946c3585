#!/bin/sh
# Rebuilds the golden archives from their inputs. Run it only for a deliberate
# format change (then raise the version in FORMAT.md and keep the old vectors):
#   format/vectors/make-vectors.sh BUILD_DIR
# The inputs (NAME/ folders and NAME.manifest) are plain files; the archives are
# written by the test program in --write mode with a fixed id, time and tool;
# the expected listings come from stat and xxhsum, not from adbk.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: make-vectors.sh BUILD_DIR}
cd "$here"

# v1-basic: a small directory backup. Content made with standard tools only.
rm -rf v1-basic && mkdir -p v1-basic
seq 1 2000 | awk '{printf "CN=user%05d,OU=Staff,DC=corp,DC=example,DC=com\n", $1}' | head -c 10000 > v1-basic/ntds.dit
seq 1 900 | awk '{printf "lgen 17 rec %d\n", $1}' | head -c 5000 > v1-basic/edb00011.log
: > v1-basic/empty.dat
printf 'DCSIMTOK version 1 created 1700000000 tsl 180 server DC01\n' | head -c 48 > v1-basic/token
printf 'D\303\244ten \342\200\224 \346\227\245\346\234\254\n' > v1-basic/notes.txt

"$build/tests/test_vectors" --write "$here"

for v in v1-basic v1-empty; do
    : > "$v.expected"
    # kind size xxh128 name, one line per member in manifest order (awk keeps
    # empty fields, which a shell read with a tab IFS would merge).
    awk -F'\t' 'NR > 1 {print $1 "\t" $7 "\t" $5}' "$v.manifest" |
    while IFS= read -r line; do
        kind=$(printf '%s' "$line" | cut -f1); file=$(printf '%s' "$line" | cut -f2)
        name=$(printf '%s' "$line" | cut -f3)
        if [ "$file" = "-" ]; then size=0; hash=99aa06d3014798d86001c324468d497f
        else size=$(stat -c %s "$v/$file"); hash=$(xxhsum -H2 "$v/$file" | cut -d' ' -f1); fi
        printf '%s\t%s\t%s\t%s\n' "$kind" "$size" "$hash" "$name" >> "$v.expected"
    done
done
zstd --version | sed 's/.*v\([0-9.]*\).*/\1/' > zstd-version
echo "vectors rebuilt; check them in together with a FORMAT.md version note"
