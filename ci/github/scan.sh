#!/usr/bin/env bash
# The GitHub Action's scan step (action.yml): picks what to scan from the
# event, runs sqscan once for SARIF, JSON and the log, turns findings into
# annotations and a job summary, and says where the SARIF is.
#
# Inputs (environment): EVENT, PR_BASE, PR_HEAD, PUSH_BEFORE, PUSH_AFTER,
# MODE (auto|range|history|tree), EXTRA (more sqscan arguments), FAIL
# (true|false), SQSCAN (the binary; default: sqscan on PATH), and GitHub's
# GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
set -uo pipefail
out_dir=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sqscan-report
mkdir -p "$out_dir"
zero=0000000000000000000000000000000000000000
mode=${MODE:-auto}
range=""
if [ "$mode" = auto ]; then
  case "${EVENT:-}" in
    pull_request | pull_request_target | merge_group)
      mode=range; range="${PR_BASE:-}..${PR_HEAD:-}" ;;
    push)
      if [ -n "${PUSH_BEFORE:-}" ] && [ "${PUSH_BEFORE}" != "$zero" ] && git cat-file -e "${PUSH_BEFORE}^{commit}" 2>/dev/null; then
        mode=range; range="${PUSH_BEFORE}..${PUSH_AFTER:-HEAD}"
      else
        # A new branch, or a force-push past what the clone holds: all of it.
        mode=history
      fi ;;
    *) mode=history ;;
  esac
elif [ "$mode" = range ]; then
  range="${PR_BASE:-}..${PR_HEAD:-HEAD}"
fi
case "$mode" in
  range) command=(git --range "$range"); kind=range ;;
  history) command=(git); kind=git ;;
  tree) command=(scan .); kind=scan ;;
  *) echo "::error::sqscan: scan must be auto, range, history or tree, not '$mode'"; exit 2 ;;
esac
# Word splitting of EXTRA is wanted: it holds several arguments.
# shellcheck disable=SC2206
extra=(${EXTRA:-})
${SQSCAN:-sqscan} "${command[@]}" --format sarif -o "$out_dir/sqscan.sarif" --format json -o "$out_dir/sqscan.json" \
  --format human "${extra[@]}"
code=$?

# Annotations and the summary, from the JSON report (redacted secrets only).
if [ -s "$out_dir/sqscan.json" ]; then
  jq -r '
    def data: gsub("%"; "%25") | gsub("\r"; "%0D") | gsub("\n"; "%0A");
    def prop: data | gsub(":"; "%3A") | gsub(","; "%2C");
    .findings[] |
    "::error file=\(.path | prop),line=\(.line),col=\(.column),title=\(.rule_name | prop)::\("\(.rule_name) \(.secret)" + (if .commit then " (added in \(.commit.id[0:12]) by \(.commit.author))" else "" end) | data)"
  ' "$out_dir/sqscan.json"
  count=$(jq '.findings | length' "$out_dir/sqscan.json")
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
      echo "### sqscan: $count finding(s) ($kind)"
      if [ "$count" -gt 0 ]; then
        echo
        echo "| rule | secret | where | commit |"
        echo "|---|---|---|---|"
        jq -r '
          def cell: gsub("\\|"; "\\|") | gsub("[\r\n]"; " ");
          .findings[] | "| \(.rule_name | cell) | `\(.secret | cell)` | `\(.path | cell):\(.line)` | \(if .commit then "`\(.commit.id[0:12])` \(.commit.author | cell)" else "" end) |"
        ' "$out_dir/sqscan.json"
      fi
    } >> "$GITHUB_STEP_SUMMARY"
  fi
else
  count=0
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "findings=$count"
    echo "sarif=$out_dir/sqscan.sarif"
    echo "category=sqscan/$kind"
    echo "exit-code=$code"
  } >> "$GITHUB_OUTPUT"
fi
# Findings fail the step unless asked not to; errors (2) always do.
if [ "$code" = 1 ] && [ "${FAIL:-true}" != true ]; then
  exit 0
fi
exit "$code"
