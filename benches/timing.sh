# Sourced by the bench scripts: building sqscan, describing the machine,
# timing. `runs` (how many timed runs) must be set before `time_runs`.

# build_sqscan: builds this checkout's sqscan (release) and sets `sqscan`.
build_sqscan() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  sqscan="$root/target/release/sqscan"
}

# machine: this machine, as the results files describe it.
machine() {
  echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# time_runs NAME COMMAND...: one warm-up run (it fills the page cache), then
# `runs` timed runs; prints each on stderr and the median on stdout.
time_runs() {
  local name=$1; shift
  "$@" >/dev/null 2>&1 || true
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  local m
  m=$(printf '%s\n' "${times[@]}" | median)
  printf '%-28s median %8.3fs  runs: %s\n' "$name" "$m" "${times[*]}" >&2
  echo "$m"
}
