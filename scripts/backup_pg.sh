#!/usr/bin/env bash
# Dump DATABASE_URL into BACKUP_DIR (default $DATA_DIR/backups, .data/backups) in
# pg_dump's custom format, with a `sha256sum -c` file beside it. Prints the dump's path.
#
# Needs only the PostgreSQL client tools of the server's major version (found as
# autodevops does: PG_BIN_DIR, /usr/lib/postgresql/<major>/bin, the embedded wheel, PATH).
# A failed dump exits non-zero and leaves no file behind: the dump is written to a
# .partial name and only renamed once pg_dump has succeeded and the file is on disk.
# `autodevops backup` does the same and also records the backup and test-restores it.
set -euo pipefail
umask 077 # a dump holds every row: owner-only
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) die "unexpected argument: $1 (see --help)" ;;
esac

[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is required but not set"
split_password "$DATABASE_URL"
bin="$(pg_bin_dir)"
dir="${BACKUP_DIR:-${DATA_DIR:-.data}/backups}"
mkdir -p "$dir"
chmod 700 "$dir"

db="$("$bin/psql" -X -At --no-password -d "$PG_URL" -c 'SELECT current_database()')"
stamp="$(date -u +%Y%m%dT%H%M%S%3NZ)"
suffix="$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
final="$dir/autodevops-$db-$stamp-$suffix.dump"
partial="$final.partial"
trap 'rm -f "$partial"' EXIT

"$bin/pg_dump" --format=custom --no-password --file="$partial" --dbname="$PG_URL"
[[ -s "$partial" ]] || die "pg_dump wrote an empty file"
sync "$partial"
sha="$(sha256sum "$partial" | cut -d' ' -f1)"
mv "$partial" "$final"
echo "$sha  $(basename "$final")" >"$final.sha256"
sync "$dir"
echo "$final"
