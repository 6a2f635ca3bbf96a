#!/usr/bin/env bash
# cargo-deny on the workspace, offline: licences, bans (duplicates warn), sources and, from the local
# RustSec snapshot (scripts/update-advisories.sh), advisories. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
db="${COFFRE_ADVISORY_DBS:-$HOME/.cache/coffre/advisory-dbs}/advisory-db-3157b0e258782691"
if [ -d "$db/.git" ]; then
  echo "advisories: $(cat "$db/SNAPSHOT")" >&2
  cargo deny --frozen check
else
  # The advisory repository cannot be fetched from CI: without a snapshot, say so loudly and check
  # the rest rather than fail on a missing cache.
  echo "WARNING: no advisory snapshot in $db: advisories NOT checked (run scripts/update-advisories.sh)" >&2
  cargo deny --frozen check bans licenses sources
fi
