#!/bin/sh
# run.sh - adbk for Windows under Wine against the simulated DC built as
# ntdsbcli.dll, and archives crossing between Linux and Windows.
#
#   tests/wine/run.sh LINUX_BUILD WIN_BUILD      (e.g. build build-win/adbk)
#
# Needs: LINUX_BUILD with tools/adbk/.., dcsim/dcsim (the Linux build),
# WIN_BUILD from tools/win/build.sh, and wine. Exits 77 (skipped) when wine or
# the Windows build is missing, 0 when every check passed, 1 otherwise.
# Checks, each printed as "ok" or "FAIL":
#   1. adbk-verify.exe verifies the golden vector made on Linux;
#   2. adbk.exe backup against ntdsbcli.dll (privilege raised through
#      AdjustTokenPrivileges; the DLL checks the token), which removes a
#      partial file a killed run left beside its output;
#   3. the Windows archive verifies with Linux adbk, says it is of the
#      simulated DC, and extracts on Linux and on Windows to the same bytes;
#   4. a Linux backup of the same DC verifies with adbk-verify.exe and
#      extracts under Wine to the bytes Linux extracts;
#   5. restore_ops.exe drives restore_prepare/locations/register/complete/end
#      of the Windows backend through the DLL, with the Windows archive's token;
#   6. adbk.exe restore of the Windows archive onto the wiped DC through the
#      DLL: files equal the members, and the DC starts (recovery check);
#   7. a missing DLL is a clear error, not a crash;
#   8. --user (DsSetAuthIdentityW) with a right and a wrong password;
#   9. a tree deeper than MAX_PATH packed and extracted by adbk.exe;
#  10. encrypted and signed archives (keys from age-keygen and adbk keygen on
#      Linux): adbk.exe backs up to a recipient and signs, Linux lists and
#      verifies it locked (no key) and extracts it with -i and --trust; an
#      archive encrypted and signed on Linux is checked by adbk-verify.exe
#      without a key (damage found too), listed, verified and extracted by
#      adbk.exe with the key, contents equal byte for byte; an untrusted
#      signer is refused on both; adbk.exe keygen writes a key Linux uses.
#      Skipped (said so) without age-keygen.
set -u
lin=$(cd "${1:?LINUX_BUILD}" && pwd)
win=$(cd "${2:?WIN_BUILD}" && pwd)
command -v wine >/dev/null 2>&1 || { echo "wine not installed: skipped"; exit 77; }
[ -f "$win/tools/adbk.exe" ] || { echo "no $win/tools/adbk.exe: skipped"; exit 77; }
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/adbk-wine.XXXXXX")
trap 'rm -rf "$work"' EXIT
export WINEPREFIX="${ADBK_WINEPREFIX:-$HOME/.cache/adbk/wineprefix}" WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
# Wine maps the Linux root to drive Z:.
zpath() { printf 'Z:%s' "$1" | tr / '\\'; }
adbk=$(ls "$lin"/tools/adbk "$lin"/tools/adbk/adbk 2>/dev/null | head -n 1)
dcsim=$lin/dcsim/dcsim
pass=0 fail=0
check() { # check NAME COMMAND...
  name=$1; shift
  if "$@" >"$work/out" 2>&1; then echo "ok   $name"; pass=$((pass + 1))
  else echo "FAIL $name"; sed 's/^/     /' "$work/out" | tail -n 20; fail=$((fail + 1)); fi
}
export ADBK_NTDSBCLI_DLL="$(zpath "$win/dcsim/win/ntdsbcli.dll")"
export ADBK_DCSIM_DIR="$(zpath "$work/dc")" DCSIM_PRIVILEGE=check
"$dcsim" provision "$work/dc" --size 32M --seed 7 --server DC01 >/dev/null &&
  "$dcsim" start "$work/dc" >/dev/null || { echo "cannot provision the DC"; exit 1; }

check "adbk-verify.exe verifies the Linux golden vector" \
  wine "$win/tools/adbk-verify.exe" "$(zpath "$top/format/vectors/v1-basic.adbk")"
# A partial file as a killed run leaves it, beside the output: the backup
# removes it (LockFileEx takes its lock: no process holds it) and says so.
echo killed > "$work/win.adbk.KILLED.partial"
check "adbk.exe backup against ntdsbcli.dll" \
  wine "$win/tools/adbk.exe" backup -o "$(zpath "$work/win.adbk")" --server DC01
check "the backup removed what a killed run left beside it" sh -c '
  [ ! -e "$1/win.adbk.KILLED.partial" ] && [ -z "$(ls "$1" | grep partial)" ]' sh "$work"
check "Linux adbk verifies the Windows archive" "$adbk" verify "$work/win.adbk"
check "the Windows archive says it is of the simulated DC (the DLL's marker)" sh -c '
  "$1" list --json "$2" | /usr/bin/python3 -c "import json,sys
d = json.load(sys.stdin); assert d[\"simulated\"] is True, d"' sh "$adbk" "$work/win.adbk"
mkdir -p "$work/xl" "$work/xw"
check "Linux extracts the Windows archive" "$adbk" extract "$work/win.adbk" -C "$work/xl"
check "Windows extracts its own archive" \
  wine "$win/tools/adbk.exe" extract "$(zpath "$work/win.adbk")" -C "$(zpath "$work/xw")"
check "both extractions are byte for byte equal" diff -r "$work/xl" "$work/xw"

# The reverse: a Linux archive of the same DC, read on Windows.
check "Linux backup of the DC" env ADBK_DCSIM_DIR="$work/dc" DCSIM_PRIVILEGE=skip \
  "$adbk" backup -o "$work/lin.adbk" --server DC01
check "adbk-verify.exe verifies the Linux archive" \
  wine "$win/tools/adbk-verify.exe" "$(zpath "$work/lin.adbk")"
mkdir -p "$work/yl" "$work/yw"
check "Linux extracts its archive" "$adbk" extract "$work/lin.adbk" -C "$work/yl"
check "Windows extracts the Linux archive" \
  wine "$win/tools/adbk.exe" extract "$(zpath "$work/lin.adbk")" -C "$(zpath "$work/yw")"
check "both extractions of the Linux archive are equal" diff -r "$work/yl" "$work/yw"

# --user: DsSetAuthIdentityW through the DLL; the simulated DC accepts its
# administrator and refuses a wrong password (password from the environment).
check "adbk.exe backup --user with the right password" env ADBK_PASSWORD=dcsim \
  wine "$win/tools/adbk.exe" backup -o "$(zpath "$work/user.adbk")" --server DC01 -q \
    --no-truncate-logs --user 'corp.example.com\Administrator'
check "adbk.exe backup --user with a wrong password is refused" sh -c '
  out=$(ADBK_PASSWORD=wrong wine "$1" backup -o "$2" --server DC01 --user "CORP\\Administrator" 2>&1)
  rc=$?; printf "%s\n" "$out"; [ $rc -eq 2 ] && printf "%s" "$out" | grep -q "ERROR_ACCESS_DENIED"' \
  sh "$win/tools/adbk.exe" "$(zpath "$work/user2.adbk")"

# Encrypted (format 2.0) and signed (1.2) archives crossing both ways, with
# keys made on Linux: the recipient's by age-keygen, the signer's by adbk
# keygen. These backups leave the DC's logs alone (--no-truncate-logs), as
# the --user one does: the restore checks below work from win.adbk's logs.
if command -v age-keygen >/dev/null 2>&1; then
  age-keygen -o "$work/age.txt" 2>/dev/null
  rcpt=$(age-keygen -y "$work/age.txt")
  pub=$("$adbk" keygen -o "$work/sign.key")
  printf '%s\n' "$pub" >"$work/sign.pub"
  other=$("$adbk" keygen -o "$work/other.key")
  # Python that checks `list --json` of an archive read without its key
  # (argument: the signer's public key): locked, its names and kinds hidden.
  locked='import json,sys
d = json.load(sys.stdin)
assert d["encrypted"] and d["locked"] and d["signed"] and d["signature_ok"], d
assert d["signer"] == sys.argv[1] and not d["trusted"], d
assert all(m["name"].startswith("#") and "kind" not in m for m in d["members"]), d'

  check "adbk.exe backup --recipient (age-keygen's) --sign (adbk keygen's)" \
    wine "$win/tools/adbk.exe" backup -q -o "$(zpath "$work/wenc.adbk")" --server DC01 \
      --no-truncate-logs --recipient "$rcpt" --sign "$(zpath "$work/sign.key")"
  check "Linux lists the Windows encrypted archive without a key: locked, signed" sh -c '
    "$1" list --json "$2" | /usr/bin/python3 -c "$3" "$4"' \
    sh "$adbk" "$work/wenc.adbk" "$locked" "$pub"
  check "Linux verifies it without a key" sh -c '
    out=$("$1" verify "$2" 2>&1); rc=$?; printf "%s\n" "$out"
    [ $rc -eq 0 ] && printf "%s" "$out" | grep -q "OK without a key"' sh "$adbk" "$work/wenc.adbk"
  mkdir -p "$work/el" "$work/ew"
  check "Linux extracts it with the identity and --trust" \
    "$adbk" extract -q -i "$work/age.txt" --trust "$pub" "$work/wenc.adbk" -C "$work/el"
  check "adbk.exe extracts it with the identity and --trust (key files)" \
    wine "$win/tools/adbk.exe" extract -q -i "$(zpath "$work/age.txt")" \
      --trust "$(zpath "$work/sign.pub")" "$(zpath "$work/wenc.adbk")" -C "$(zpath "$work/ew")"
  check "both extractions of the encrypted archive are equal, and hold a DC backup" sh -c '
    diff -r "$1/el" "$1/ew" && [ -s "$1/el/database/ntds.dit" ] && [ -s "$1/el/expiry-token" ] &&
    ls "$1"/el/logs/edb*.log >/dev/null' sh "$work"
  check "with the key, Linux lists it as of the simulated DC, signed by a trusted key" sh -c '
    "$1" list --json -i "$2" --trust "$3" "$4" | /usr/bin/python3 -c "import json,sys
d = json.load(sys.stdin)
assert not d[\"locked\"] and d[\"trusted\"] and d[\"simulated\"] is True, d"' \
    sh "$adbk" "$work/age.txt" "$pub" "$work/wenc.adbk"
  check "Linux refuses it for a signer it does not trust" sh -c '
    "$1" verify -i "$2" --trust "$3" "$4"; [ $? -eq 1 ]' \
    sh "$adbk" "$work/age.txt" "$other" "$work/wenc.adbk"

  # The other way: encrypted and signed on Linux, read under Wine.
  check "Linux backup --recipient --sign of the DC" env ADBK_DCSIM_DIR="$work/dc" \
    DCSIM_PRIVILEGE=skip "$adbk" backup -q -o "$work/lenc.adbk" --server DC01 \
      --no-truncate-logs --recipient "$rcpt" --sign "$work/sign.key"
  check "adbk-verify.exe checks the encrypted archive without a key" sh -c '
    out=$(wine "$1" "$2" 2>&1); rc=$?; printf "%s\n" "$out"
    [ $rc -eq 0 ] && printf "%s" "$out" | grep -q "OK without a key"' \
    sh "$win/tools/adbk-verify.exe" "$(zpath "$work/lenc.adbk")"
  # One byte changed in the middle of the file, inside the database's
  # encrypted chunks: found without the key, from the writer's checksums.
  check "adbk-verify.exe finds damage in it without a key" sh -c '
    cp "$1" "$2" && size=$(wc -c <"$2") &&
    printf "\377" | dd of="$2" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
    wine "$3" -q "$4"; [ $? -eq 1 ]' \
    sh "$work/lenc.adbk" "$work/lenc-bad.adbk" "$win/tools/adbk-verify.exe" \
    "$(zpath "$work/lenc-bad.adbk")"
  check "adbk.exe lists the Linux encrypted archive without a key: locked, signed" sh -c '
    wine "$1" list --json "$2" | /usr/bin/python3 -c "$3" "$4"' \
    sh "$win/tools/adbk.exe" "$(zpath "$work/lenc.adbk")" "$locked" "$pub"
  check "adbk.exe verifies it with the identity and --trust" sh -c '
    out=$(wine "$1" verify -i "$2" --trust "$3" "$4" 2>&1); rc=$?; printf "%s\n" "$out"
    [ $rc -eq 0 ] && printf "%s" "$out" | grep -q "signed by a trusted key"' \
    sh "$win/tools/adbk.exe" "$(zpath "$work/age.txt")" "$pub" "$(zpath "$work/lenc.adbk")"
  check "adbk-verify.exe opens it with the key in ADBK_IDENTITY" sh -c '
    ADBK_IDENTITY=$(grep "^AGE-SECRET-KEY-" "$1") wine "$2" -q --trust "$3" "$4"' \
    sh "$work/age.txt" "$win/tools/adbk-verify.exe" "$pub" "$(zpath "$work/lenc.adbk")"
  check "adbk.exe refuses it for a signer it does not trust" sh -c '
    wine "$1" verify -q -i "$2" --trust "$3" "$4"; [ $? -eq 1 ]' \
    sh "$win/tools/adbk.exe" "$(zpath "$work/age.txt")" "$other" "$(zpath "$work/lenc.adbk")"
  mkdir -p "$work/fl" "$work/fw"
  check "Linux extracts its encrypted archive" \
    "$adbk" extract -q -i "$work/age.txt" --trust "$pub" "$work/lenc.adbk" -C "$work/fl"
  check "adbk.exe extracts the Linux encrypted archive with the identity and --trust" \
    wine "$win/tools/adbk.exe" extract -q -i "$(zpath "$work/age.txt")" --trust "$pub" \
      "$(zpath "$work/lenc.adbk")" -C "$(zpath "$work/fw")"
  check "both extractions of the Linux encrypted archive are equal" diff -r "$work/fl" "$work/fw"

  # A signing key made on Windows: written without CRs, signs on Linux, and
  # adbk.exe keygen never replaces a key file without -f.
  check "adbk.exe keygen writes a key Linux signs with" sh -c '
    wpub=$(wine "$1" keygen -o "$2" | tr -d "\r") || exit 1
    ! grep -q "$(printf "\r")" "$3/wkey" &&
    "$4" create -q -o "$3/wsigned.adbk" --sign "$3/wkey" "$3/sign.pub" &&
    "$4" verify -q --trust "$wpub" "$3/wsigned.adbk"' \
    sh "$win/tools/adbk.exe" "$(zpath "$work/wkey")" "$work" "$adbk"
  check "adbk.exe keygen refuses to replace a key file" sh -c '
    wine "$1" keygen -o "$2" >/dev/null 2>&1; [ $? -eq 2 ]' \
    sh "$win/tools/adbk.exe" "$(zpath "$work/wkey")"
else
  echo "skip encrypted and signed archives: age-keygen is not installed" \
       "(Debian package age; tools/setup.sh installs it)"
fi

# Restore ops of the Windows backend, with the token from the Windows archive.
if [ -f "$win/tests-wine/restore_ops.exe" ]; then
  "$dcsim" stop "$work/dc" >/dev/null
  tok=$(find "$work/xl" -name 'expiry-token*' -type f | head -n 1)
  gens=$(find "$work/xl" -name 'edb*.log' | sed 's/.*edb\([0-9A-Fa-f]*\)\.log/0x\1/' | sort)
  check "restore ops through ntdsbcli.dll" \
    wine "$win/tests-wine/restore_ops.exe" DC01 "$(zpath "$tok")" \
      "$(echo "$gens" | head -n 1)" "$(echo "$gens" | tail -n 1)"
fi

# Paths longer than MAX_PATH (260): packed and extracted by adbk.exe through
# \\?\ paths, equal to the originals on Linux.
deep="$work/deep"
d=$deep
for i in 1 2 3 4 5 6 7; do d="$d/folder-with-a-long-name-number-$i-xxxxxxxxxxxxxxx"; done
mkdir -p "$d" && head -c 100000 /dev/urandom >"$d/file-past-max-path.bin"
check "the test path is longer than MAX_PATH" test "$(printf %s "$d/file-past-max-path.bin" | wc -c)" -gt 300
check "adbk.exe packs a tree deeper than MAX_PATH" \
  wine "$win/tools/adbk.exe" create -q -o "$(zpath "$work/deep.adbk")" "$(zpath "$deep")"
mkdir -p "$work/dl" "$work/dw"
check "Linux extracts it to the original bytes" sh -c '
  "$1" extract -q "$2/deep.adbk" -C "$2/dl" && diff -r "$2/deep" "$2/dl/deep"' sh "$adbk" "$work"
check "adbk.exe extracts it past MAX_PATH to the original bytes" sh -c '
  wine "$1" extract -q "$2" -C "$3" && diff -r "$4/deep" "$4/dw/deep"' \
  sh "$win/tools/adbk.exe" "$(zpath "$work/deep.adbk")" "$(zpath "$work/dw")" "$work"

# adbk.exe restore of the Windows archive onto the wiped DC (its files are
# staged, verified, registered and put in place through the DLL); the Linux
# dcsim then starts the DC, which runs its hard-recovery check.
"$dcsim" stop "$work/dc" >/dev/null
rm -f "$work/dc/ntds.dit" "$work/dc"/edb*.log
check "adbk.exe restore through ntdsbcli.dll" \
  wine "$win/tools/adbk.exe" restore "$(zpath "$work/win.adbk")" --server DC01
check "the restored files equal the archive's members" sh -c '
  cmp "$1/dc/ntds.dit" "$1/xl/database/ntds.dit" || exit 1
  for f in "$1"/xl/logs/*; do cmp "$f" "$1/dc/$(basename "$f")" || exit 1; done' sh "$work"
check "the restored DC starts (recovery check passes)" "$dcsim" start "$work/dc"

check "a missing ntdsbcli.dll is a clear error" sh -c '
  out=$(ADBK_NTDSBCLI_DLL="$3" wine "$1" backup -o "$2" --server DC01 2>&1)
  rc=$?; printf "%s\n" "$out"; [ $rc -eq 2 ] && printf "%s" "$out" | grep -q "Module not found"' \
  sh "$win/tools/adbk.exe" "$(zpath "$work/none.adbk")" "$(zpath "$work/missing/ntdsbcli.dll")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
