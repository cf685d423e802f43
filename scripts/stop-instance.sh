#!/usr/bin/env bash
# Stops an instance started by start-instance.sh and drops its database: stop-instance.sh <dir>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node scripts/instance.js stop "$@"
