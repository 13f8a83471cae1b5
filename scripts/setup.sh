#!/usr/bin/env bash
# One-step setup for a fresh Debian/Ubuntu machine (also what CI runs):
#   - installs the Debian packages we use when they are missing and we may (root or passwordless sudo):
#       libdnnl-dev  oneDNN, for the native TF.js CPU backend (fast training; without it we fall back to wasm)
#       libpq-dev    libpq, for the PostgreSQL driver (pg-native; only DAGCTL_DATABASE_URL=postgres://… needs it)
#       chromium     only with --test: headless browser for the serving page test
#       postgresql   only with --test: the tests start a throwaway cluster of it (initdb + pg_ctl on a temp folder)
#   - then `npm ci` (skipped when node_modules already matches package-lock.json).
# Elsewhere it prints what to install and carries on: everything still works, only slower.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(libdnnl-dev libpq-dev)
[[ "${1:-}" == "--test" ]] && want+=(chromium postgresql)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
fi

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else sudo=(none); fi
  if [[ "${sudo[0]:-}" == none ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing Debian packages: ${missing[*]} (install with: sudo apt-get install -y ${missing[*]})" >&2
    echo "setup: continuing without them: training falls back to the wasm backend, the browser and PostgreSQL tests are skipped" >&2
  else
    echo "setup: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json && node_modules/.package-lock.json -nt package.json ]]; then
  echo "setup: node_modules is up to date" >&2
else
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
fi
