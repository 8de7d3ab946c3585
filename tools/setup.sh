#!/bin/sh
# Installs what adbk needs to build, test and benchmark, from Debian packages only.
# Safe to run any number of times: it installs only what is missing.
set -eu
need="build-essential cmake pkg-config clang libzstd-dev libxxhash-dev libsodium-dev zstd xxhash libcap-dev libcap2-bin python3 python3-zstandard python3-xxhash python3-nacl valgrind liblmdb-dev libtdb-dev libldb-dev libtalloc-dev"
# The real age, which the encryption tests check our key handling against.
need="$need age"
# The man pages (scdoc), their checks (man-db, groff), and the Debian packages:
# built, checked by lintian and installed by tools/run-tests.sh.
need="$need scdoc man-db groff-base dpkg-dev debhelper lintian"
# A real Samba AD DC for the Samba tests, with the tools that check it.
need="$need samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind python3-samba python3-ldb ldb-tools tdb-tools lmdb-utils attr acl"
[ "${1:-}" = "--bench" ] && need="$need hyperfine time"
missing=""
for p in $need; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "setup: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
