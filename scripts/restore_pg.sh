#!/usr/bin/env bash
# Restore a custom-format dump into DATABASE_URL (or --database-url URL).
#
#   scripts/restore_pg.sh [--force] [--database-url URL] FILE
#
# Refuses a database that already has tables unless --force; with --force the dump's
# objects are dropped and recreated. Either way it runs in one transaction, so a
# failed restore changes nothing. The sha256 file beside the dump is checked first.
# Afterwards, `autodevops migrate` applies any migration newer than the backup.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

force=0
url="${DATABASE_URL:-}"
file=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --force) force=1 ;;
    --database-url) shift; url="${1:-}" ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *) [[ -z "$file" ]] || die "one dump file at a time"; file="$1" ;;
  esac
  shift
done
[[ -n "$file" ]] || die "which dump? (see --help)"
[[ -f "$file" ]] || die "$file does not exist"
[[ -n "$url" ]] || die "DATABASE_URL is required but not set"

if [[ -f "$file.sha256" ]]; then
  (cd "$(dirname "$file")" && sha256sum --quiet -c "$(basename "$file").sha256") ||
    die "$file does not match its checksum: it is corrupt"
fi

split_password "$url"
bin="$(pg_bin_dir)"
major="$(_tool_major "$bin")"

# A dump restores only into its own major or a newer one: say so before pg_restore stumbles
# on a newer archive's header, or on a newer server's schema half-way through.
toc="$("$bin/pg_restore" --list "$file" 2>&1)" || {
  [[ "$toc" == *"unsupported version"* ]] &&
    die "$file was written by a newer pg_dump than PostgreSQL $major can read; this server runs PostgreSQL $major: restore it into the PostgreSQL major it came from, or newer (docs/deploy.md)"
  die "$file is not a readable dump: $toc"
}
if [[ "$toc" =~ Dumped\ from\ database\ version:\ ([0-9]+) ]] && ((BASH_REMATCH[1] > major)); then
  die "$file was dumped from PostgreSQL ${BASH_REMATCH[1]}; this server runs PostgreSQL $major, which cannot restore it: restore into PostgreSQL ${BASH_REMATCH[1]} or newer (docs/deploy.md)"
fi
tables="$("$bin/psql" -X -At --no-password -d "$PG_URL" -c "
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'")"

args=(--no-owner --no-acl --exit-on-error --single-transaction --no-password)
if ((tables > 0)); then
  ((force)) || die "the database is not empty ($tables tables); restore into an empty database, or pass --force to overwrite it"
  args+=(--clean --if-exists)
fi
"$bin/pg_restore" "${args[@]}" --dbname="$PG_URL" "$file"
echo "restored $file"
