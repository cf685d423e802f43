#!/usr/bin/env bash
# Stops an instance started by start-instance.sh and drops its database: stop-instance.sh <dir> [--keep-logs]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node --import tsx tools/instance/cli.ts stop "$@"
