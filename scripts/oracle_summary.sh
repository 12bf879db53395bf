#!/usr/bin/env bash
# Totals of the oracle checks the tests made: how many comparisons with libhdf5's tools
# (h5dump, h5diff, h5ls, h5repack) and h5py ran and how many were skipped, per tool, from the
# tally the tests append to (crates/h5kit-testkit: `ORACLE <tool> compared|skipped <test> <count>
# [reason]` lines in target/oracle-tally/tally.txt, or $H5KIT_ORACLE_TALLY).
#
#   scripts/oracle_summary.sh            print the totals (and which tests skipped, and why)
#   scripts/oracle_summary.sh --reset    empty the tally (before a test run)
#   scripts/oracle_summary.sh --strict   also exit 1 when anything was skipped
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TALLY="${H5KIT_ORACLE_TALLY:-$REPO/target/oracle-tally/tally.txt}"

case "${1:-}" in
    --reset)
        mkdir -p "$(dirname "$TALLY")"
        : >"$TALLY"
        exit 0
        ;;
    --strict | "") ;;
    *)
        echo "usage: $0 [--reset | --strict]" >&2
        exit 2
        ;;
esac

if [[ ! -s "$TALLY" ]]; then
    echo "oracle summary: no oracle checks recorded ($TALLY is missing or empty)"
    [[ "${1:-}" == "--strict" ]] && exit 1
    exit 0
fi

echo "oracle summary ($TALLY)"
awk '
    $1 != "ORACLE" { next }
    {
        tool = $2; kind = $3; test = $4; n = $5 + 0
        tools[tool] = 1
        if (kind == "compared") { cmp[tool] += n; ctests[tool, test] = 1 }
        else if (kind == "skipped") {
            skp[tool] += n; stests[tool, test] = 1
            why = ""
            for (i = 6; i <= NF; i++) why = why (i > 6 ? " " : "") $i
            reason[tool " " test ": " why] += n
        }
    }
    END {
        printf "  %-16s %10s %6s %8s %6s\n", "tool", "compared", "tests", "skipped", "tests"
        for (t in tools) order[++k] = t
        # sort tool names (awk without asort)
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (order[j] < order[i]) { x = order[i]; order[i] = order[j]; order[j] = x }
        for (i = 1; i <= k; i++) {
            t = order[i]; nc = 0; ns = 0
            for (key in ctests) { split(key, p, SUBSEP); if (p[1] == t) nc++ }
            for (key in stests) { split(key, p, SUBSEP); if (p[1] == t) ns++ }
            printf "  %-16s %10d %6d %8d %6d\n", t, cmp[t], nc, skp[t], ns
            total_s += skp[t]
        }
        if (total_s > 0) {
            print "  skipped (tool binary::test: reason (count)):"
            for (r in reason) printf "    %s (%d)\n", r, reason[r] | "sort"
            close("sort")
        }
        exit total_s > 0 ? 3 : 0
    }
' "$TALLY" && st=0 || st=$?
if [[ $st -eq 3 ]]; then
    [[ "${1:-}" == "--strict" ]] && exit 1
    exit 0
fi
exit $st
