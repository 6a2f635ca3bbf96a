#!/usr/bin/env bash
# Refreshes the RustSec advisory snapshot that `cargo deny` reads offline (scripts/deny.sh), from a
# checkout (or bare clone) of https://github.com/rustsec/advisory-db made on a machine that can reach it.
#
#   scripts/update-advisories.sh /path/to/advisory-db [--lock-only]
#
# The snapshot goes to ~/.cache/coffre/advisory-dbs (deny.toml's db-path), kept warm like the target
# directory. It is a one-commit git repository, because cargo-deny opens its databases with git, dated
# like the upstream commit: cargo-deny's staleness check (`maximum-db-staleness` in deny.toml) then
# counts from the day the advisories were published, not from the day they were copied.
# --lock-only keeps only the advisories of crates in Cargo.lock (a few dozen files instead of ~1,200).
set -euo pipefail
cd "$(dirname "$0")/.."

src="${1:?usage: scripts/update-advisories.sh /path/to/advisory-db [--lock-only]}"
lock_only="${2:-}"
root="${COFFRE_ADVISORY_DBS:-$HOME/.cache/coffre/advisory-dbs}"
# Where cargo-deny looks for the default database (https://github.com/RustSec/advisory-db) under db-path.
db="$root/advisory-db-3157b0e258782691"

commit="$(git -C "$src" rev-parse HEAD)"
date="$(git -C "$src" log -1 --format=%cI HEAD)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git -C "$src" archive HEAD crates LICENSES | tar -x -C "$tmp"
if [ "$lock_only" = "--lock-only" ]; then
  awk -F'"' '/^name = /{print $2}' Cargo.lock | sort -u >"$tmp/locked"
  for dir in "$tmp"/crates/*/; do
    grep -qxF "$(basename "$dir")" "$tmp/locked" || rm -rf "$dir"
  done
  rm "$tmp/locked"
fi
printf 'https://github.com/rustsec/advisory-db %s (%s)%s\n' "$commit" "$date" \
  "${lock_only:+, crates of Cargo.lock only}" >"$tmp/SNAPSHOT"

rm -rf "$db"
mkdir -p "$db"
cp -R "$tmp"/. "$db"/
(
  cd "$db"
  git init -q
  git add -A
  GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
    git -c user.name=coffre -c user.email=coffre@example.invalid commit -q -m "advisory-db $commit"
  touch -d "$date" .git/HEAD
)
echo "advisories: $(find "$db/crates" -name 'RUSTSEC-*.md' | wc -l) from $commit ($date) in $db"
