#!/usr/bin/env bash
# Switch to a new Gemini API key, only once the API has accepted it.
#
#   scripts/rotate_gemini_key.sh [--env-file .env]  < file-with-the-key
#
# Reads the key from the terminal (no echo) or stdin, never from the command line,
# lists models with it at GEMINI_BASE_URL (default the public endpoint), and only then
# writes GEMINI_API_KEY into the env file. Restart the workers afterwards, then revoke
# the old key in Google AI Studio / Cloud console.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac
exec "$(find_cli)" rotate-gemini-key "$@"
