#!/usr/bin/env bash
# Rotate ENCRYPTION_KEY, the key that seals stored GitHub tokens and webhook secrets.
#
#   1. new=$(autodevops rotate-key --generate)
#   2. Deploy ENCRYPTION_KEY=$new and ENCRYPTION_OLD_KEYS=<the old key> to every
#      service and restart them: new writes use the new key, old rows still decrypt.
#   3. Run this script with the same two variables set. It re-encrypts every stored
#      credential in batches (safe to interrupt and run again) and exits 0 once no
#      row is left under an old key; options go to `autodevops rotate-key` (--help).
#   4. Remove the old key from ENCRYPTION_OLD_KEYS and restart again.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[[ -n "${ENCRYPTION_KEY:-}" ]] || die "ENCRYPTION_KEY (the new key) is required but not set"
[[ -n "${ENCRYPTION_OLD_KEYS:-}" ]] || die "ENCRYPTION_OLD_KEYS (the key being replaced) is required but not set"
exec "$(find_cli)" rotate-key "$@"
