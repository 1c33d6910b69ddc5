#!/usr/bin/env bash
# Give the application's database role a new password and prove it connects.
#
#   scripts/rotate_db_password.sh [--env-file .env] [--role NAME] [--password-stdin]
#
# The role is DATABASE_URL's user; the change is made over ADMIN_DATABASE_URL if set,
# else over DATABASE_URL itself (a role may change its own password). The password is
# generated unless --password-stdin, sent to the server only as a SCRAM verifier, and
# the new DATABASE_URL is written to the env file (or printed). Restart every service.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is required but not set"
exec "$(find_cli)" rotate-db-password "$@"
