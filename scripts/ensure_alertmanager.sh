#!/usr/bin/env bash
# Make sure `amtool` is installed: make test checks deploy/alertmanager with
# `amtool check-config` and its routes with `amtool config routes test`. Installs Debian's
# `prometheus-alertmanager` package (it ships amtool) when amtool is missing, as root or
# through sudo, like scripts/ensure_prometheus.sh. Where systemd runs, the package starts an
# Alertmanager service on :9093 that the tests never use (`systemctl disable --now
# prometheus-alertmanager` stops it).
set -euo pipefail

command -v amtool >/dev/null && exit 0

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "error: amtool is missing and this is not root (no sudo either):" >&2
  echo "       install Debian's package by hand: apt-get install prometheus-alertmanager" >&2
  exit 1
fi
command -v apt-get >/dev/null || {
  echo "error: amtool is missing and apt-get is not available: install Alertmanager's amtool" >&2
  exit 1
}
echo "amtool missing: installing Debian's prometheus-alertmanager package" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y --no-install-recommends prometheus-alertmanager >&2; then
  "${as_root[@]}" apt-get update >&2
  "${as_root[@]}" apt-get install -y --no-install-recommends prometheus-alertmanager >&2
fi
command -v amtool >/dev/null || { echo "error: amtool still missing after install" >&2; exit 1; }
echo "installed: $(amtool --version 2>&1 | head -1)" >&2
