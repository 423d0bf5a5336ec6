#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages (none yet).
set -euo pipefail
