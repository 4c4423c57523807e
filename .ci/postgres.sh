#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL server for the tests: `source .ci/postgres.sh start` exports
# IVR_TEXT_TEST_PG_URL; `.ci/postgres.sh stop` stops it and removes its data. Needs Debian's postgresql package.
set -uo pipefail
PGDIR="${IVR_TEXT_PG_DIR:-/tmp/ivr-text-pg}"
PGPORT="${IVR_TEXT_PG_PORT:-55432}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ -z "$BIN" ]; then echo "warning: PostgreSQL not installed; database tests will be skipped"; return 0 2>/dev/null || exit 0; fi
    rm -rf "$PGDIR"; mkdir -p "$PGDIR"; [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    as_pg "$BIN/initdb" -D "$PGDIR/data" -U ivrtext --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
      && as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1" start >/dev/null \
      && export IVR_TEXT_TEST_PG_URL="postgresql+psycopg://ivrtext@127.0.0.1:$PGPORT/postgres" \
      && echo "PostgreSQL for the tests: $IVR_TEXT_TEST_PG_URL" \
      || echo "warning: could not start PostgreSQL; database tests will be skipped"
    ;;
  stop)
    [ -n "$BIN" ] && [ -d "$PGDIR/data" ] && as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1
    rm -rf "$PGDIR"
    ;;
esac
