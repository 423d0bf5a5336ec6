#!/usr/bin/env bash
# The ledger tests also run against a real PostgreSQL server; install one when missing.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing PostgreSQL for the ledger tests..."
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; then
    echo "PostgreSQL could not be installed: the PostgreSQL ledger tests will be skipped." >&2
  fi
else
  echo "PostgreSQL is not installed: the PostgreSQL ledger tests will be skipped." >&2
fi
