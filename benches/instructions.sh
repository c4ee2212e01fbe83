#!/usr/bin/env bash
# Compares the work done by two builds of pstkit: instructions executed
# (valgrind's cachegrind, no cache simulation) by the same commands on the
# same inputs. Instruction counts do not depend on what else the machine is
# doing, so this check of "performance unchanged by a refactoring" can run
# on a busy or shared machine, where wall times (benches/compare.sh) cannot.
# It misses what instructions do not show: system calls, page faults, cache
# misses, parallel speed-up.
#
# Usage: benches/instructions.sh BASE [MESSAGES]
#   BASE      any commit; built in a temporary worktree
#   MESSAGES  messages of the generated mailboxes (default 2000)
# Environment: BASE_BIN / HEAD_BIN use these binaries instead of building.
#
# Prints a Markdown table: command, instructions of BASE and of the work
# tree, and their ratio. Valgrind has no AVX-512, so the builds run their
# scalar code paths on every machine alike.
set -euo pipefail

base=${1:?usage: benches/instructions.sh BASE [MESSAGES]}
messages=${2:-2000}
root=$(git rev-parse --show-toplevel)
command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pstkit-instructions.XXXXXX")
cleanup() {
    git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -n ${BASE_BIN:-} ]]; then
    base_bin=$BASE_BIN
else
    git -C "$root" worktree add -q --detach "$work/src" "$base"
    echo "building $base" >&2
    CARGO_TARGET_DIR="$work/target" cargo build -q --release -p pstkit-cli \
        --manifest-path "$work/src/Cargo.toml"
    base_bin="$work/target/release/pstkit"
fi
if [[ -n ${HEAD_BIN:-} ]]; then
    head_bin=$HEAD_BIN
else
    echo "building the work tree" >&2
    cargo build -q --release -p pstkit-cli --manifest-path "$root/Cargo.toml"
    head_bin="${CARGO_TARGET_DIR:-$root/target}/release/pstkit"
fi

export SOURCE_DATE_EPOCH=1700000000
# The inputs, made once by the base build, so both read the same bytes.
"$base_bin" gen "$work/in.pst" --messages "$messages" --seed 11 >/dev/null 2>&1
"$base_bin" gen "$work/in-4k.ost" --4k --messages "$messages" --seed 11 \
    --server s.example --mailbox m@s.example >/dev/null 2>&1

# instructions BIN ARGS...: the instructions the command executes.
instructions() {
    local out=$work/cg.out
    rm -rf "$work/o" && mkdir -p "$work/o"
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" \
        "$@" >/dev/null 2>"$work/vg.log" || { cat "$work/vg.log" >&2; exit 1; }
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out"
}

echo "| command ($messages messages) | $base | work tree | ratio |"
echo "|---|---:|---:|---:|"
while IFS='|' read -r name args; do
    read -r -a argv <<<"$args"
    b=$(instructions "$base_bin" "${argv[@]}")
    h=$(instructions "$head_bin" "${argv[@]}")
    ratio=$(awk -v b="$b" -v h="$h" 'BEGIN { printf "%.4f", h / b }')
    printf '| %s | %s | %s | %s |\n' "$name" "$b" "$h" "$ratio"
done <<EOF
gen|gen $work/o/gen.pst --messages $messages --seed 12
convert (items moved)|convert $work/in.pst $work/o/moved.pst
convert 4K OST (items rebuilt)|convert $work/in-4k.ost $work/o/rebuilt.pst
export eml|export $work/in.pst --out $work/o/eml
export mbox|export $work/in.pst --out $work/o/mbox --format mbox
check|check $work/in.pst
ls --json|ls --json $work/in.pst
EOF
