#!/usr/bin/env bash
# Make sure `prometheus` and `promtool` are installed: the observability tests run a real
# Prometheus server and `promtool check rules`. Installs Debian's `prometheus` package
# (it ships both) when promtool is missing, as root or through sudo, and says so.
#
# The package's post-install starts a `prometheus` service where systemd runs (listening
# on :9090); the tests never use it: they start their own server on a free port. Stop it
# with `systemctl disable --now prometheus` if you do not want it.
set -euo pipefail

if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
  exit 0
fi

"$(dirname "$0")/apt_install.sh" "prometheus/promtool" prometheus
command -v promtool >/dev/null || { echo "error: promtool still missing after install" >&2; exit 1; }
echo "installed: $(promtool --version 2>&1 | head -1)" >&2
