#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages; `make test` runs it before pytest.
# Each step does nothing when its tool is already there. Without root or apt-get it says what
# is missing, and the tests that need it are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

can_install() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; }

# Debian's chromium: the email tests render newsletters in it, headless, as a reader sees them.
if ! command -v chromium >/dev/null 2>&1; then
    if can_install; then
        echo "test-services: installing chromium (for the email rendering tests)" >&2
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends chromium fonts-dejavu-core >/dev/null; }; then
            echo "test-services: chromium could not be installed; those tests will be skipped" >&2
        fi
    else
        echo "test-services: chromium is missing and cannot be installed here (needs root" \
            "and apt-get); the email rendering tests will be skipped" >&2
    fi
fi

# Debian's chromium-driver: Selenium drives the subscriber pages in chromium through it (the
# tests point Selenium at /usr/bin/chromedriver; nothing downloads a driver).
if ! [ -x /usr/bin/chromedriver ] && command -v chromium >/dev/null 2>&1; then
    if can_install; then
        echo "test-services: installing chromium-driver (for the subscriber pages tests)" >&2
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends chromium-driver >/dev/null; }; then
            echo "test-services: chromium-driver could not be installed; those tests will be" \
                "skipped" >&2
        fi
    else
        echo "test-services: chromium-driver is missing and cannot be installed here (needs" \
            "root and apt-get); the subscriber pages tests in chromium will be skipped" >&2
    fi
fi

# Debian's Dovecot: the bounce tests read DSNs and complaint reports from a real IMAP server.
# The package's own service is not used (the tests start a throw-away one on 127.0.0.1).
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    if can_install; then
        echo "test-services: installing dovecot-imapd (for the bounce mailbox tests)" >&2
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends dovecot-imapd >/dev/null; }; then
            echo "test-services: dovecot could not be installed; those tests will be skipped" >&2
        fi
    else
        echo "test-services: dovecot is missing and cannot be installed here (needs root" \
            "and apt-get); the IMAP bounce tests will be skipped" >&2
    fi
fi

# PostgreSQL, for the ledger tests that run against a real server.
if [ -f scripts/install-postgres.sh ]; then
    bash scripts/install-postgres.sh
fi
