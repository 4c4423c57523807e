#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL server for the tests. `source .ci/postgres.sh start` exports
# IVR_TEXT_TEST_PG_URL (and IVR_TEXT_PG_DIR); `.ci/postgres.sh stop` stops that server and removes its data.
# Needs Debian's postgresql package; without it the database tests skip.
set -uo pipefail
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ -z "$BIN" ]; then
      echo "warning: PostgreSQL not installed; database tests will be skipped"
    else
      IVR_TEXT_PG_DIR="$(mktemp -d /tmp/ivr-text-pg.XXXXXX)"; export IVR_TEXT_PG_DIR
      [ "$(id -u)" = 0 ] && chown postgres "$IVR_TEXT_PG_DIR"
      port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
      if as_pg "$BIN/initdb" -D "$IVR_TEXT_PG_DIR/data" -U ivrtext --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
         && as_pg "$BIN/pg_ctl" -D "$IVR_TEXT_PG_DIR/data" -l "$IVR_TEXT_PG_DIR/log" -w \
              -o "-p $port -k $IVR_TEXT_PG_DIR -c listen_addresses=127.0.0.1" start >/dev/null; then
        export IVR_TEXT_TEST_PG_URL="postgresql+psycopg://ivrtext@127.0.0.1:$port/postgres"
        echo "PostgreSQL for the tests: $IVR_TEXT_TEST_PG_URL"
      else
        echo "warning: could not start PostgreSQL (log: $IVR_TEXT_PG_DIR/log); database tests will be skipped"
      fi
    fi
    ;;
  stop)
    if [ -n "$BIN" ] && [ -n "${IVR_TEXT_PG_DIR:-}" ] && [ -d "$IVR_TEXT_PG_DIR/data" ]; then
      as_pg "$BIN/pg_ctl" -D "$IVR_TEXT_PG_DIR/data" -m fast stop >/dev/null 2>&1
    fi
    [ -n "${IVR_TEXT_PG_DIR:-}" ] && rm -rf "$IVR_TEXT_PG_DIR"
    true
    ;;
esac
