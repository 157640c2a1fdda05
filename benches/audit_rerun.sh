#!/usr/bin/env bash
# Re-auditing a large real history with --state: the first audit, then
# nothing new (target <= 1 s), then one new commit holding a token (target
# <= 2 s), beside the floor of each: `git for-each-ref` (reading the tips)
# and `git diff-tree` + `git cat-file --batch` of the new commit's blobs.
#
# usage: benches/audit_rerun.sh REPO [RUNS]     (default: 5 runs)
# REPO: a bare clone with a long history (`git clone --bare --no-local` of
# git/git). It is not changed: the audit runs on a --shared clone of it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(dirname "$here")
source_repo=$(cd "${1:?usage: audit_rerun.sh REPO [RUNS]}" && pwd)
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/timing.sh"
build_sqscan

git clone -q --bare --shared "$source_repo" "$work/repo.git"
repo="$work/repo.git"
audit() { "$sqscan" audit "$repo" --state "$work/state" -q --format json -o "$work/out.json" --allow-incomplete --progress never; }

start=$(date +%s.%N)
audit || true
first=$(echo "$(date +%s.%N) - $start" | bc -l)
blobs=$(grep -m1 '"blobs_scanned"' "$work/out.json" | tr -dc 0-9)
echo "first audit: ${first}s ($blobs blobs)" >&2
state_bytes=$(du -sb "$work/state" | cut -f1)
cp -r "$work/state" "$work/state0"

same=$(time_runs "re-audit, nothing new" audit)
refs=$(time_runs "floor: git for-each-ref" git --git-dir="$repo" for-each-ref)

# One new commit on the default branch: a new file holding a token.
head=$(git --git-dir="$repo" rev-parse HEAD)
blob=$(printf 'SONAR_TOKEN=sqco_7kwYwFTY6UeVCDzqOAzRKNNvMNBsf0D57iQ6s0QVHvHkdpgmXmPoLwE4Kl5\n' | git --git-dir="$repo" hash-object -w --stdin) # sqscan:allow (a fake token)
tree=$( (git --git-dir="$repo" ls-tree "$head"; printf '100644 blob %s\tbench-new.env\n' "$blob") | git --git-dir="$repo" mktree)
commit=$(echo "bench: one new commit" | GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=b@x GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=b@x git --git-dir="$repo" commit-tree "$tree" -p "$head")
git --git-dir="$repo" update-ref HEAD "$commit"
# Each run starts from the state before the commit.
one_new() { rm -rf "$work/state" && cp -r "$work/state0" "$work/state" && audit; }
copy_only() { rm -rf "$work/state" && cp -r "$work/state0" "$work/state"; }
new=$(time_runs "re-audit, one new commit" one_new)
copy=$(time_runs "(restoring the state alone)" copy_only)
diff_floor() { git --git-dir="$repo" diff-tree -r --no-commit-id "$commit" | awk '{print $4}' | git --git-dir="$repo" cat-file --batch > /dev/null; }
dt=$(time_runs "floor: diff-tree + cat-file" diff_floor)
found=$(grep -c '"bench-new.env"' "$work/out.json" || true)

report=$(
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(machine)"
  echo "repo: $(basename "$source_repo"), $blobs blobs; state $state_bytes bytes; sqscan $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "first audit (--state, empty): ${first}s"
  echo "re-audit, nothing new: ${same}s (floor git for-each-ref: ${refs}s)"
  echo "re-audit, one new commit: $(echo "$new - $copy" | bc -l | cut -c1-5)s after restoring state (${new}s with it; floor diff-tree + cat-file: ${dt}s); new token reported: $found"
)
echo "$report"
mkdir -p "$here/results"
{ echo "$report"; echo; } >> "$here/results/audit_rerun.txt"
