#!/usr/bin/env bash
# Pre-commit latency: `sqscan staged` against `git diff --cached -U0` on the
# same index, with hyperfine, in a work tree of any repository with one
# small change staged (a line added to a tracked file and a new file).
#
# usage: benches/staged.sh REPO [RUNS]      (default: 100 runs each)
# REPO: a large one shows what a hook costs there (a clone of git/git).
# sqscan is run as installed (a copy of the build, as `cargo install`
# makes): the linker's own output file maps into memory more slowly.
# Prints hyperfine's figures and the ratio, and appends them with the
# machine's description to benches/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(dirname "$here")
repo=$(cd "${1:?usage: staged.sh REPO [RUNS]}" && pwd)
runs=${2:-100}
. "$here/timing.sh"
command -v hyperfine >/dev/null || { echo "staged.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
build_sqscan

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
install -m 755 "$sqscan" "$work/sqscan"
git clone -q --no-local "$repo" "$work/clone" 2>/dev/null || git clone -q "$repo" "$work/clone"
cd "$work/clone"
file=$(git ls-files | sed -n 1p)
printf 'a changed line\nanother one\n' >> "$file"
printf 'new file\n' > new-file.txt
git add -A
# The clone was just written: let its writeback finish before timing, and
# let its packs age past the two seconds before sqscan remembers them as
# sound (a developer's repository is older than that).
sync
sleep 2.5

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/times.json" \
  "$work/sqscan staged -q" "git diff --cached -U0" >&2
read -r sq dc < <(python3 -c '
import json, sys
print(*("%.2f" % (r["mean"] * 1000) for r in json.load(open(sys.argv[1]))["results"]))' "$work/times.json")

report=$(
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(machine)"
  echo "repo: $(basename "$repo"), index $(stat -c %s .git/index) bytes, $(git ls-files | wc -l) files; staged: $file (2 lines), new-file.txt"
  echo "sqscan staged $(git -C "$repo_root" rev-parse --short HEAD): ${sq} ms; git diff --cached -U0: ${dc} ms (hyperfine -N, $runs runs each, means); ratio $(echo "$sq / $dc" | bc -l | cut -c1-4)"
)
echo "$report"
mkdir -p "$here/results"
{ echo "$report"; echo; } >> "$here/results/staged.txt"
