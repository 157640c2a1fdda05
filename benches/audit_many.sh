#!/usr/bin/env bash
# An organization of generated repositories (benches/make_org.py): a first
# audit, and a re-audit with --state, beside the floor (every object of
# every repository read once by `git cat-file --batch-all-objects`, one
# process per core).
#
# usage: benches/audit_many.sh [REPOSITORIES] [RUNS]   (defaults: 200, 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(dirname "$here")
count=${1:-200}
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/timing.sh"
build_sqscan
cores=$(nproc)

"$here/make_org.py" "$work/org" "$count"
objects=$(for r in "$work"/org/*.git; do git --git-dir="$r" count-objects -v | awk '/in-pack/ {print $2}'; done | paste -sd+ | bc)
floor() { ls -d "$work"/org/*.git | xargs -P "$cores" -I{} git --git-dir={} cat-file --batch-all-objects --batch > /dev/null; }
fl=$(time_runs "floor (cat-file, x$cores)" floor)
full=$(time_runs "sqscan audit" "$sqscan" audit "$work/org" -q --format json -o "$work/out.json")
peak=$( { /usr/bin/time -f "%M" "$sqscan" audit "$work/org" -q --format json -o /dev/null 2>&1 >/dev/null || true; } | tail -1)
"$sqscan" audit "$work/org" -q --state "$work/state" --format json -o /dev/null || true
again=$(time_runs "sqscan audit, nothing new" "$sqscan" audit "$work/org" -q --state "$work/state" --format json -o /dev/null)
incidents=$(grep -m1 '"incidents": [0-9]' "$work/out.json" | tr -dc 0-9)

report=$(
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(machine)"
  echo "input: $count generated repositories, $objects objects; sqscan $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "floor (cat-file --batch-all-objects x$cores): ${fl}s"
  echo "sqscan audit: ${full}s (sqscan/floor $(echo "$full / $fl" | bc -l | cut -c1-4)), peak RSS ${peak} KB, $incidents incidents"
  echo "sqscan audit --state, nothing new: ${again}s"
)
echo "$report"
mkdir -p "$here/results"
{ echo "$report"; echo; } >> "$here/results/audit_many.txt"
