#!/usr/bin/env bash
# Install rotor the way a user gets it: build the npm tarball from this checkout (`npm pack`, whose
# `prepare` step compiles dist/), then `npm install --global` that tarball under PREFIX, from an
# empty directory so nothing of the checkout can leak into the installed package.
# The Dockerfile is a thin wrapper around this script; CI runs it (via scripts/check-install.sh)
# in a clean copy of the repository.
#
#   scripts/install-from-tarball.sh PREFIX [TARBALL]     → PREFIX/bin/rotor
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${1:?usage: scripts/install-from-tarball.sh PREFIX [TARBALL]}"
tarball="${2:-}"
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

if [ -z "$tarball" ]; then
  cd "$root"
  # Building needs the devDependencies (TypeScript); `npm ci` runs `prepare`, which builds dist/.
  [ -d node_modules ] || npm ci --no-audit --no-fund
  npm pack --silent --pack-destination "$scratch" >/dev/null
  tarball="$(ls "$scratch"/rotor-*.tgz)"
fi
tarball="$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")"

mkdir "$scratch/empty" && cd "$scratch/empty"
# better-sqlite3 is rotor's one native dependency: its install script fetches a prebuilt binary or
# compiles one (python3, make, g++).
npm install --global --prefix "$prefix" --no-audit --no-fund --allow-scripts=better-sqlite3 "$tarball"
echo "rotor installed: $prefix/bin/rotor ($("$prefix/bin/rotor" --version))"
