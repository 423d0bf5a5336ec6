#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages; `make test` runs it before pytest.
# Every tool is looked for first, and whatever is missing is installed in one apt-get run (one
# `apt-get update`, one `apt-get install`): on a machine that has them all, nothing happens.
# Without root or apt-get it says what is missing, and the tests that need it are skipped.
# Tool names as arguments (`test-services.sh postgresql`) limit it to those tools.
set -euo pipefail
cd "$(dirname "$0")/.."

# How each tool is found on this machine.
has_chromium() { command -v chromium >/dev/null 2>&1; }
# Selenium is pointed at /usr/bin/chromedriver; nothing downloads a driver.
has_chromium_driver() { [ -x /usr/bin/chromedriver ]; }
# The package's own service is not used: the tests start a throw-away one on 127.0.0.1.
has_dovecot() { command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; }
has_postgresql() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

# One tool a line: name|Debian packages|the tests that need it. A new tool is one line here and
# its has_NAME function above (a '-' in the name is '_' in the function's).
TOOLS=(
    "chromium|chromium fonts-dejavu-core|the email rendering tests"
    "chromium-driver|chromium-driver|the subscriber pages tests in chromium"
    "dovecot|dovecot-imapd|the IMAP bounce tests"
    "postgresql|postgresql|the PostgreSQL ledger tests"
)

present() { "has_${1//-/_}"; }
wanted() { [ "$#" -eq 1 ] || [[ " ${*:2} " == *" $1 "* ]]; }

missing=()
packages=()
for tool in "${TOOLS[@]}"; do
    IFS="|" read -r name debs purpose <<<"$tool"
    if wanted "$name" "$@" && ! present "$name"; then
        missing+=("$tool")
        read -r -a more <<<"$debs"
        packages+=("${more[@]}")
    fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; }; then
    for tool in "${missing[@]}"; do
        IFS="|" read -r name debs purpose <<<"$tool"
        echo "test-services: $name is missing and cannot be installed here (needs root and" \
            "apt-get); $purpose will be skipped" >&2
    done
    exit 0
fi

for tool in "${missing[@]}"; do
    IFS="|" read -r name debs purpose <<<"$tool"
    echo "test-services: installing $name (for $purpose)" >&2
done
if ! apt-get update -qq; then
    echo "test-services: apt-get update failed; installing from the package lists as they are" >&2
fi
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; }
# One run for all; if it fails (one package this release lacks), each tool on its own, so
# that one missing package keeps none of the others away.
if ! install "${packages[@]}" >/dev/null; then
    for tool in "${missing[@]}"; do
        IFS="|" read -r name debs purpose <<<"$tool"
        read -r -a more <<<"$debs"
        install "${more[@]}" >/dev/null || true
    done
fi
for tool in "${missing[@]}"; do
    IFS="|" read -r name debs purpose <<<"$tool"
    if ! present "$name"; then
        echo "test-services: $name could not be installed; $purpose will be skipped" >&2
    fi
done
