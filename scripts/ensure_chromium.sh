#!/usr/bin/env bash
# Make sure Debian's Chromium and its chromedriver are installed: the dashboard's browser
# tests (tests/e2e/test_dashboard_browser.py) drive it headless through selenium. Installs
# `chromium` and `chromium-driver` with apt when either is missing, as root or through
# sudo, and says so. Nothing is downloaded outside the distribution's packages.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi

"$(dirname "$0")/apt_install.sh" "chromium/chromedriver" chromium chromium-driver
command -v chromedriver >/dev/null || { echo "error: chromedriver still missing after install" >&2; exit 1; }
echo "installed: $(chromium --version 2>/dev/null | head -1)" >&2
