#!/usr/bin/env bash
# apt_install.sh WHAT PACKAGE...: install Debian packages for the test setup, as root or
# through sudo, and say so (on stderr). WHAT names what is missing in the messages. Used by
# ensure_prometheus.sh and ensure_chromium.sh; nothing is downloaded outside the
# distribution's packages.
set -euo pipefail

what=$1
shift
if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "error: $what missing and this is not root (no sudo either):" >&2
  echo "       install Debian's packages by hand: apt-get install $*" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "error: $what missing and apt-get is not available: install $* so they are on PATH" >&2
  exit 1
fi

echo "$what missing: installing Debian's $* (apt-get install -y $*)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y --no-install-recommends "$@" >&2; then
  "${as_root[@]}" apt-get update >&2
  "${as_root[@]}" apt-get install -y --no-install-recommends "$@" >&2
fi
