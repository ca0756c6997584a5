#!/usr/bin/env bash
# Set up sd_desktop in ./.venv on a Debian/Ubuntu machine with Python 3.11+.
#   scripts/setup.sh          the app
#   scripts/setup.sh --test   the app + test tools (and the Debian packages the tests use)
# Installs Debian packages with apt-get when run as root or with passwordless sudo; otherwise it
# prints the apt-get line to run and goes on.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

# Qt's libraries (the xcb plugin for a real window, EGL/GL/fontconfig for any window)
qt_pkgs="libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libglib2.0-0 \
libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 \
libxcb-randr0 libxcb-xinerama0 libxcb-xkb1"
test_pkgs="xvfb desktop-file-utils appstream shellcheck libwayland-cursor0 jdupes libfuse2 xfsprogs strace openssh-server"
pkgs="$qt_pkgs"
[ "$with_tests" = 1 ] && pkgs="$pkgs $test_pkgs"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
fi
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
  if [ "$sudo" = none ]; then
    echo "setup: please install these Debian packages, then run again: sudo apt-get install -y$missing" >&2
  else
    echo "setup: installing Debian packages:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$with_tests" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test,package]"
else
  .venv/bin/python -m pip install -q -e .
fi
echo "setup: ready (.venv)"
