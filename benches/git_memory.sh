#!/usr/bin/env bash
# Memory of `sqscan git` on any repository: the peak resident set, and how
# much of it is mapped files (pack indexes, the binary) against anonymous
# memory (heap and stacks), sampled from /proc every 10 ms; beside it, the
# bound the heap should keep to (threads x the largest blob, plus the
# object-id sets at 20 bytes an id, twice), and what is left of the
# anonymous memory per object once the delta-base caches (16 MiB for the
# tree walk, 4 MiB per blob worker) and threads x the largest blob are
# taken out.
#
# usage: benches/git_memory.sh REPO        (e.g. a bare clone of git/git)
# Appends the figures with the machine's description to benches/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(dirname "$here")
repo=${1:?usage: benches/git_memory.sh REPO}
. "$here/timing.sh"
build_sqscan

threads=$(nproc)
largest=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
  awk '$1 == "blob" && $2 > max { max = $2 } END { print max + 0 }')
objects=$(git -C "$repo" count-objects -v | awk '/^(count|in-pack):/ { n += $2 } END { print n + 0 }')
packs=$(du -cb "$repo"/objects/pack/*.pack 2>/dev/null | tail -1 | cut -f1)

"$sqscan" git "$repo" --format json -o /dev/null -q &
pid=$!
peak_rss=0 peak_anon=0 peak_file=0
while kill -0 "$pid" 2>/dev/null; do
  if read -r rss anon file < <(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
      END { print r + 0, a + 0, f + 0 }' "/proc/$pid/status" 2>/dev/null); then
    [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
    [ "$anon" -gt "$peak_anon" ] && peak_anon=$anon
    [ "$file" -gt "$peak_file" ] && peak_file=$file
  fi
  sleep 0.01
done
wait "$pid" || [ $? -eq 1 ]

mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
bound_kib=$(( (threads * largest + 2 * 20 * objects) / 1024 ))
caches_kib=$(( (16 + 4 * threads) * 1024 ))
rest_bytes=$(( (peak_anon - caches_kib) * 1024 - threads * largest ))
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(machine)"
  echo "repository: $repo ($objects objects, packs $((packs / 1048576)) MiB, largest blob $((largest / 1024)) KiB)"
  echo "sqscan $(git -C "$repo_dir" rev-parse --short HEAD): peak RSS $(mib "$peak_rss"): anonymous $(mib "$peak_anon"), mapped files $(mib "$peak_file")"
  echo "heap bound (threads x largest blob + object-id sets): $(mib "$bound_kib")"
  echo "anonymous beyond the caches ($(mib "$caches_kib")) and threads x largest blob: $(mib $((rest_bytes / 1024))), $((rest_bytes / objects)) bytes an object"
  echo
} | tee -a "$here/results/git_memory.txt"
