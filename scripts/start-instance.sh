#!/usr/bin/env bash
# Starts a fresh throwaway gateway for scanning (see tools/instance/cli.ts); prints KEY=value lines:
#   eval "$(bash scripts/start-instance.sh)"   ...   bash scripts/stop-instance.sh "$GW_INSTANCE_DIR"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node --import tsx tools/instance/cli.ts start "$@"
