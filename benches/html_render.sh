#!/usr/bin/env bash
# How long the HTML report takes to be ready in a browser: headless
# Chromium loads a report of N incidents and the page writes, into its
# title, the milliseconds from navigation start to the end of its script
# (parsing, layout of what shows, filters applied). A tiny report is
# measured beside it as the browser's own floor.
#
# usage: benches/html_render.sh [INCIDENTS] [RUNS]   (default: 10000, 3)
# needs: chromium (apt-get install chromium), python3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
count=${1:-10000}
runs=${2:-3}
work=${SQSCAN_BENCH_DIR:-/tmp/sqscan-bench}/html
command -v chromium >/dev/null || { echo "bench: needs chromium (apt-get install chromium)" >&2; exit 2; }
mkdir -p "$work/many" "$work/few"
. "$here/timing.sh"
build_sqscan
python3 - "$work" "$count" <<'PY'
import hashlib, sys
work, count = sys.argv[1], int(sys.argv[2])
def tokens(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write("T%d=sqp_%s\n" % (i, hashlib.sha1(str(i).encode()).hexdigest()))
tokens(work + "/many/tokens.env", count)
tokens(work + "/few/tokens.env", 3)
PY
for name in many few; do
  "$sqscan" scan "$work/$name" --format html -q -o "$work/$name.html" || true
  # The same page, timing itself.
  python3 - "$work/$name.html" <<'PY'
import sys
path = sys.argv[1]
page = open(path).read()
page = page.replace("})();\n</script>", "})();\ndocument.title = 'ready ' + performance.now().toFixed(0);\n</script>")
open(path.replace(".html", "-timed.html"), "w").write(page)
PY
  for _ in $(seq "$runs"); do
    ms=$(chromium --headless --no-sandbox --disable-gpu --user-data-dir="$work/profile" --dump-dom \
      "file://$work/$name-timed.html" 2>/dev/null | grep -o '<title>ready [0-9]*' | grep -o '[0-9]*$')
    echo "$name: $(wc -c < "$work/$name.html") bytes, ready in ${ms} ms"
  done
done
