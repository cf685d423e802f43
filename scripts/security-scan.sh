#!/usr/bin/env bash
# npm run security:scan -- --url http://127.0.0.1:3000 [--token JWT] [--admin-token JWT] [--engine auto|zap|local]
# (or SCAN_TARGET_URL / SCAN_BEARER_TOKEN / SCAN_ADMIN_TOKEN). See scripts/security-scan.js.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node scripts/security-scan.js "$@"
