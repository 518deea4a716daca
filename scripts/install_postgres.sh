#!/usr/bin/env bash
# Install a PostgreSQL server for the Postgres-destination tests (tests/postgres). Idempotent:
# does nothing when the server binaries are already there. Debian/Ubuntu only; needs root or sudo.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install_postgres.sh: no apt-get here; install PostgreSQL yourself (tests/postgres skip without it)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
