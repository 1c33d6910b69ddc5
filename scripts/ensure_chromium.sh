#!/usr/bin/env bash
# Make sure Debian's Chromium and its chromedriver are installed: the dashboard's browser
# tests (tests/e2e/test_dashboard_browser.py) drive it headless through selenium. Installs
# `chromium` and `chromium-driver` with apt when either is missing, as root or through
# sudo, and says so. Nothing is downloaded outside the distribution's packages.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "error: chromium/chromedriver are missing and this is not root (no sudo either):" >&2
  echo "       install Debian's packages by hand: apt-get install chromium chromium-driver" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "error: chromium/chromedriver are missing and apt-get is not available:" >&2
  echo "       install Chromium and a matching chromedriver so both are on PATH" >&2
  exit 1
fi

echo "chromium/chromedriver missing: installing Debian's chromium and chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
packages=(chromium chromium-driver)
if ! "${as_root[@]}" apt-get install -y --no-install-recommends "${packages[@]}" >&2; then
  "${as_root[@]}" apt-get update >&2
  "${as_root[@]}" apt-get install -y --no-install-recommends "${packages[@]}" >&2
fi
command -v chromedriver >/dev/null || { echo "error: chromedriver still missing after install" >&2; exit 1; }
echo "installed: $(chromium --version 2>/dev/null | head -1)" >&2
