#!/usr/bin/env bash
# Regenerate the golden outputs of libhdf5's own tools (h5dump / h5ls 1.10.8) under tests/golden/.
#
#   tests/make_goldens.sh            regenerate everything (interop files in tests/data/interop,
#                                    generated fixtures, sample)
#   tests/make_goldens.sh --check [GROUP...]
#                                    regenerate into a temp dir and diff against the committed goldens
#                                    (GROUP: interop/jhdf, interop/pyfive, generated, data, data/<sub>);
#                                    exit 1 on drift
#
# Each file is dumped from inside its own directory with the bare file name, exactly like
# `cd DIR && h5dump -H NAME`, so the first line is `HDF5 "NAME" {` and relative external links /
# VDS sources / external raw data files resolve as they would for a user.
#
# Layout: tests/golden/<group>/<file>.<mode>.txt holds stdout; tests/golden/manifest.tsv holds one
# line per (file, mode): `<group>/<file> TAB <mode> TAB <exit status or "skip">`.
# Modes: H = h5dump -H, pH = h5dump -p -H, n = h5dump -n, full = h5dump (skipped when the
# output is over 1 MB), ls = h5ls -r. stderr is not recorded. Filter plugins are not loaded
# (HDF5_PLUGIN_PATH unset): the goldens show what stock h5dump prints.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAX_FULL=$((1024 * 1024))

CHECK=0
if [[ "${1:-}" == "--check" ]]; then
    CHECK=1
    shift
fi
GROUPS_WANTED=("$@")
if [[ ${#GROUPS_WANTED[@]} -eq 0 ]]; then
    GROUPS_WANTED=(interop/jhdf interop/pyfive generated data)
    # teammates' fixture folders tests/data/<sub>/ (other than generated/ and interop/): group data/<sub>
    while IFS= read -r sub; do
        GROUPS_WANTED+=("data/$sub")
    done < <(cd "$REPO/tests/data" && find . -mindepth 1 -maxdepth 1 -type d ! -name generated ! -name interop -printf '%f\n' | LC_ALL=C sort)
fi

for tool in h5dump h5ls; do
    command -v "$tool" >/dev/null || { echo "make_goldens: $tool not found" >&2; exit 2; }
done
if ! h5dump --version | grep -q 'Version 1\.10\.8'; then
    echo "make_goldens: warning: goldens were made with h5dump 1.10.8, found: $(h5dump --version)" >&2
fi

group_dir() {
    case "$1" in
        interop/*) echo "$REPO/tests/data/$1" ;;
        generated) echo "$REPO/tests/data/generated" ;;
        data) echo "$REPO/tests/data" ;;
        data/*) echo "$REPO/tests/$1" ;;
        *) echo "make_goldens: unknown group $1" >&2; exit 2 ;;
    esac
}

group_files() {
    local dir="$1" group="$2"
    case "$group" in
        generated) (cd "$dir" && ls -1 -- *.h5) ;;
        data) echo sample.h5 ;;
        data/*) (cd "$dir" && find . -maxdepth 1 -type f -name '*.h5' -printf '%f\n' | LC_ALL=C sort) ;;
        *) (cd "$dir" && find . -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort) ;;
    esac
}

if [[ $CHECK -eq 1 ]]; then
    OUT="$(mktemp -d)"
    trap 'rm -rf "$OUT"' EXIT
else
    OUT="$REPO/tests/golden"
fi
mkdir -p "$OUT"
MANIFEST_NEW="$OUT/manifest.tsv.new"
: >"$MANIFEST_NEW"

run_tool() { # dir name outfile cmd...
    local dir="$1" name="$2" out="$3"
    shift 3
    local st=0
    (cd "$dir" && env -u HDF5_PLUGIN_PATH LC_ALL=C timeout 120 "$@" "$name") >"$out" 2>/dev/null || st=$?
    echo "$st"
}

# --check compares the files the committed manifest records (new fixtures without goldens yet
# are reported, not failed: run make_goldens.sh to record them)
checked_files() {
    local dir="$1" group="$2" name
    local recorded
    recorded="$(awk -F'\t' -v g="$group" '{ k = $1; n = k; sub(/\/[^\/]*$/, "", k); sub(/^.*\//, "", n);
                 if (k == g) print n }' "$REPO/tests/golden/manifest.tsv" | LC_ALL=C sort -u)"
    while IFS= read -r name; do
        if [[ -n "$name" ]] && ! grep -qxF -- "$name" <<<"$recorded"; then
            echo "make_goldens --check: note: $group/$name has no goldens yet (run tests/make_goldens.sh $group)" >&2
        fi
    done < <(group_files "$dir" "$group")
    while IFS= read -r name; do
        if [[ -n "$name" && -f "$dir/$name" ]]; then
            echo "$name"
        elif [[ -n "$name" ]]; then
            echo "make_goldens --check: note: $group/$name has goldens but is gone" >&2
        fi
    done <<<"$recorded"
}

run_full() { # dir name outfile: h5dump, cut off after MAX_FULL+1 bytes (some files print gigabytes)
    local dir="$1" name="$2" out="$3"
    local st
    (
        cd "$dir"
        set +o pipefail
        env -u HDF5_PLUGIN_PATH LC_ALL=C timeout 120 h5dump "$name" 2>/dev/null | head -c $((MAX_FULL + 1)) >"$out"
        exit "${PIPESTATUS[0]}"
    ) && st=0 || st=$?
    echo "$st"
}

for group in "${GROUPS_WANTED[@]}"; do
    dir="$(group_dir "$group")"
    [[ -d "$dir" ]] || { echo "make_goldens: missing directory $dir" >&2; exit 2; }
    mkdir -p "$OUT/$group"
    if [[ $CHECK -eq 0 ]]; then
        rm -f "$OUT/$group"/*.txt
    fi
    while IFS= read -r name; do
        [[ -n "$name" ]] || continue
        base="$OUT/$group/$name"
        st=$(run_tool "$dir" "$name" "$base.H.txt" h5dump -H)
        printf '%s/%s\tH\t%s\n' "$group" "$name" "$st" >>"$MANIFEST_NEW"
        st=$(run_tool "$dir" "$name" "$base.pH.txt" h5dump -p -H)
        printf '%s/%s\tpH\t%s\n' "$group" "$name" "$st" >>"$MANIFEST_NEW"
        st=$(run_tool "$dir" "$name" "$base.n.txt" h5dump -n)
        printf '%s/%s\tn\t%s\n' "$group" "$name" "$st" >>"$MANIFEST_NEW"
        st=$(run_full "$dir" "$name" "$base.full.txt")
        if [[ $(stat -c %s "$base.full.txt") -gt $MAX_FULL ]]; then
            rm -f "$base.full.txt"
            st=skip
        fi
        printf '%s/%s\tfull\t%s\n' "$group" "$name" "$st" >>"$MANIFEST_NEW"
        st=$(run_tool "$dir" "$name" "$base.ls.txt" h5ls -r)
        printf '%s/%s\tls\t%s\n' "$group" "$name" "$st" >>"$MANIFEST_NEW"
    done < <(if [[ $CHECK -eq 1 ]]; then checked_files "$dir" "$group"; else group_files "$dir" "$group"; fi)
done

group_lines() { # manifest group: the lines whose key is exactly <group>/<file>
    awk -F'\t' -v g="$2" '{ k = $1; sub(/\/[^\/]*$/, "", k); if (k == g) print }' "$1" | LC_ALL=C sort
}

if [[ $CHECK -eq 1 ]]; then
    fail=0
    for group in "${GROUPS_WANTED[@]}"; do
        old="$REPO/tests/golden/$group"
        new="$OUT/$group"
        while IFS= read -r f; do
            if ! cmp -s "$old/$f" "$new/$f"; then
                echo "differs or missing: $group/$f" >&2
                diff "$old/$f" "$new/$f" 2>&1 | head -20 >&2 || true
                fail=1
            fi
        done < <( (cd "$new" && find . -maxdepth 1 -name '*.txt' -printf '%f\n'; \
                   cd "$old" 2>/dev/null && find . -maxdepth 1 -name '*.txt' -printf '%f\n') | LC_ALL=C sort -u)
        if ! diff <(group_lines "$REPO/tests/golden/manifest.tsv" "$group") \
                  <(group_lines "$MANIFEST_NEW" "$group") >&2; then
            fail=1
        fi
    done
    if [[ $fail -ne 0 ]]; then
        echo "make_goldens --check: goldens differ from live h5dump/h5ls output" >&2
        exit 1
    fi
    echo "make_goldens --check: goldens match live output for: ${GROUPS_WANTED[*]}"
    exit 0
fi

# merge: keep manifest lines of groups not regenerated this run
MANIFEST="$OUT/manifest.tsv"
{
    if [[ -f "$MANIFEST" ]]; then
        awk -F'\t' -v gs="${GROUPS_WANTED[*]}" '
            BEGIN { n = split(gs, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
            { k = $1; sub(/\/[^\/]*$/, "", k); if (!(k in want)) print }' "$MANIFEST"
    fi
    cat "$MANIFEST_NEW"
} | LC_ALL=C sort >"$MANIFEST.tmp"
mv "$MANIFEST.tmp" "$MANIFEST"
rm -f "$MANIFEST_NEW"
echo "make_goldens: $(wc -l <"$MANIFEST") entries in $MANIFEST"
