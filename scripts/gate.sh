#!/usr/bin/env bash
# npm run gate: tests + fresh instance + DAST scan + reports/gate-1.md (see scripts/gate.js).
# Needs PostgreSQL and Redis on 127.0.0.1 (as for npm test) and wapiti + sqlmap, or a Docker engine for ZAP.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node scripts/gate.js "$@"
