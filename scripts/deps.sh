#!/bin/sh
# Install the Debian packages hush needs, only when missing.
# Usage: scripts/deps.sh build|test|bench|fuzz|deb
set -e
case "$1" in
  build) pkgs="gcc make libc6-dev libpcre2-dev zlib1g-dev libssl-dev libcrypt-dev libnghttp2-dev libhiredis-dev pkg-config libbpf-dev clang" ;;
  test)  pkgs="gcc make libc6-dev libpcre2-dev zlib1g-dev libssl-dev libcrypt-dev libnghttp2-dev libhiredis-dev redis-server pkg-config python3 python3-pytest python3-h2 nghttp2-client curl openssl nginx chromium goaccess fail2ban build-essential debhelper dpkg-dev debootstrap logrotate man-db groff-base slowhttptest php-fpm" ;;
  deb)   pkgs="gcc make libc6-dev libpcre2-dev zlib1g-dev libssl-dev libcrypt-dev libnghttp2-dev libhiredis-dev pkg-config libbpf-dev clang build-essential debhelper dpkg-dev" ;;
  bench) pkgs="nginx wrk curl python3 nghttp2-client redis-server strace linux-perf" ;;
  fuzz)  pkgs="clang libclang-rt-14-dev" ;;
  *) echo "usage: $0 build|test|bench|fuzz|deb" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "hush: missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "hush: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends $missing >/dev/null
