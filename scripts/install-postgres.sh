#!/usr/bin/env bash
# The ledger tests also run against a real PostgreSQL server; install one when missing.
exec bash "$(dirname "$0")/test-services.sh" postgresql
