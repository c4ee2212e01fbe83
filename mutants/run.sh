#!/usr/bin/env bash
# Mutation testing with cargo-mutants, the same way each time: each mutant of
# one library crate is built and run against the whole workspace's tests
# (a reader's mutant is often killed only by a test of a layer above it).
# Not part of CI: a whole crate takes hours on a 2-core machine. Results go
# to mutants/out/CRATE[-SHARD]/ (outcomes.json, caught.txt, missed.txt, …);
# the summary page is mutants/README.md.
#
# Usage:
#   mutants/run.sh CRATE [K/N]          one crate, or shard K of N of it
#                                       (K from 0 to N-1: all N cover it)
#   mutants/run.sh --in-diff BASE       the mutants a change touched (its
#                                       diff against BASE), every crate
#   mutants/run.sh CRATE K/N -- ARGS    ARGS go to cargo mutants as they are
#
# Needs cargo-mutants (cargo install cargo-mutants --locked). The samples in
# ../shared are used when present, as by `cargo test`; PSTKIT_BIG_TESTS is
# left unset (the 2 GB-class tests would make each mutant minutes longer).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null; then
    echo "mutants/run.sh: needs cargo-mutants: cargo install cargo-mutants --locked" >&2
    exit 2
fi

args=()
out=mutants/out
if [ "${1:-}" = "--in-diff" ]; then
    base=${2:?usage: mutants/run.sh --in-diff BASE}
    shift 2
    diff=$(mktemp)
    trap 'rm -f "$diff"' EXIT
    git diff "$base" -- 'crates/*.rs' >"$diff"
    args+=(--in-diff "$diff")
    out="$out/in-diff-$(git rev-parse --short "$base")"
else
    crate=${1:?usage: mutants/run.sh CRATE [K/N]}
    shift
    args+=(--package "$crate")
    out="$out/$crate"
    if [ -n "${1:-}" ] && [ "$1" != "--" ]; then
        args+=(--shard "$1")
        out="$out-${1/\//of}"
        shift
    fi
fi
[ "${1:-}" = "--" ] && shift

mkdir -p "$out"
unset PSTKIT_BIG_TESTS
# One job: the tests themselves use both cores. A mutant whose tests take
# over 5 times the unmutated run's time counts as a timeout (an infinite
# loop the mutant made), not as caught.
cargo mutants --test-workspace true --jobs 1 --timeout-multiplier 5 \
    --output "$out" "${args[@]}" "$@" || status=$?
# cargo-mutants exits 2 when mutants were missed, 3 on timeouts: the
# listing is the result, not the exit status.
for f in caught missed timeout unviable; do
    printf '%-9s %s\n' "$f" "$(wc -l <"$out/mutants.out/$f.txt" 2>/dev/null || echo 0)"
done
exit "${status:-0}"
