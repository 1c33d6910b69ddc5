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

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "error: prometheus/promtool are missing and this is not root (no sudo either):" >&2
  echo "       install Debian's package by hand: apt-get install prometheus" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "error: prometheus/promtool are missing and apt-get is not available:" >&2
  echo "       install Prometheus 2.x or later so that \`prometheus\` and \`promtool\` are on PATH" >&2
  exit 1
fi

echo "prometheus/promtool missing: installing Debian's prometheus package (apt-get install -y prometheus)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y --no-install-recommends prometheus >&2; then
  "${as_root[@]}" apt-get update >&2
  "${as_root[@]}" apt-get install -y --no-install-recommends prometheus >&2
fi
command -v promtool >/dev/null || { echo "error: promtool still missing after install" >&2; exit 1; }
echo "installed: $(promtool --version 2>&1 | head -1)" >&2
