#!/usr/bin/env bash
# Find credentials across the whole git history of a repository, and remove them.
#
#   repo-migration/remove-secrets.sh [--dry-run | --apply] [--yes] [--force] PATH
#
# --dry-run (the default) lists every finding, redacted, with its path, line and the
# commits that added it; exits 1 if there is any. --apply rewrites history with
# git-filter-repo, replacing each value with ***REMOVED*** in every blob and message,
# asks first unless --yes, then scans again and exits 0 only if nothing remains.
# Work on a fresh mirror clone, then push it back (filter-repo drops the `origin`
# remote, so name the URL) and rotate the secrets anyway:
#   git clone --mirror <url> repo.git
#   repo-migration/remove-secrets.sh --apply repo.git
#   git -C repo.git push --force --mirror <url>
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac
exec "$(find_cli)" remove-secrets "$@"
