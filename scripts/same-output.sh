#!/usr/bin/env bash
# Shows that a change keeps pstkit's outputs byte for byte: builds BASE (any
# commit) and the work tree, runs the same commands with each on the bundled
# fixtures, and compares every file they write.
#
# Usage: scripts/same-output.sh BASE
#
# Outputs are made reproducible by SOURCE_DATE_EPOCH (the files' creation
# stamps; both builds must read it, as every commit from 2026-12-05 on does).
# MIME boundaries in EML and mbox exports are drawn at random by mail-builder
# on each run: they are replaced by a placeholder before the comparison, and
# nothing else is. `import` reads the base's own mbox export in both runs, so
# its input is the same bytes.
# Exit 0: every output identical; 1: the files that differ are listed.
set -euo pipefail

base=${1:?usage: scripts/same-output.sh BASE}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/pstkit-same-output.XXXXXX")
cleanup() {
    git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

git -C "$root" worktree add -q --detach "$work/src" "$base"
echo "building $base" >&2
CARGO_TARGET_DIR="$work/target" cargo build -q --release -p pstkit-cli \
    --manifest-path "$work/src/Cargo.toml"
echo "building the work tree" >&2
cargo build -q --release -p pstkit-cli --manifest-path "$root/Cargo.toml"
base_bin="$work/target/release/pstkit"
head_bin="${CARGO_TARGET_DIR:-$root/target}/release/pstkit"

export SOURCE_DATE_EPOCH=1700000000
pst="$root/fixtures/mailbox.pst"
ost="$root/fixtures/mailbox-4k.ost"

# run BIN OUT MBOX_IN: every writing command, into OUT (the export comes
# before the import, so the base's run makes MBOX_IN for both).
run() {
    local bin=$1 out=$2 mbox=$3
    mkdir -p "$out"
    "$bin" gen "$out/gen.pst" --messages 300 --seed 5
    "$bin" gen "$out/gen-4k.ost" --4k --messages 300 --seed 6 --server s.example --mailbox m@s.example
    "$bin" gen "$out/gen-high.pst" --messages 100 --seed 7 --encoding high
    "$bin" convert "$pst" "$out/moved.pst"
    "$bin" convert "$ost" "$out/rebuilt-from-4k.pst"
    "$bin" convert --rebuild "$pst" "$out/rebuilt.pst"
    "$bin" convert "$pst" "$out/bound.ost" --server s.example --mailbox m@s.example
    "$bin" convert "$pst" "$out/bound-4k.ost" --4k --server s.example --mailbox m@s.example
    "$bin" export "$pst" --out "$out/eml"
    "$bin" export "$ost" --out "$out/mbox" --format mbox
    "$bin" import "$mbox" -o "$out/imported.pst"
} 2>/dev/null >/dev/null

run "$base_bin" "$work/base" "$work/base/mbox"
run "$head_bin" "$work/head" "$work/base/mbox"

# MIME boundaries: mail-builder's (hex_hex_hex), in headers and delimiters.
normalize() {
    find "$1" -type f \( -name '*.eml' -o -name '*.mbox' \) -print0 |
        xargs -0 -r sed -E -i 's/[0-9a-f]{6,16}_[0-9a-f]{6,16}_[0-9a-f]{6,16}/BOUNDARY/g'
}
normalize "$work/base"
normalize "$work/head"

files=$(cd "$work/base" && find . -type f | sort)
count=$(printf '%s\n' "$files" | wc -l)
differ=0
while IFS= read -r f; do
    if ! cmp -s "$work/base/$f" "$work/head/$f"; then
        echo "differs: $f"
        differ=$((differ + 1))
    fi
done <<<"$files"
extra=$(cd "$work/head" && find . -type f | sort | comm -13 <(printf '%s\n' "$files") -)
if [ -n "$extra" ]; then
    printf 'only in the work tree: %s\n' $extra
    differ=$((differ + 1))
fi
echo "$count files compared against $(git -C "$root" rev-parse --short "$base"): $differ differ"
[ "$differ" -eq 0 ]
