#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 10) on its
# seed corpus; fails on the first crash, hang (-timeout) or OOM (-rss_limit).
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]
#
# Environment:
#   FUZZ_SANITIZER  address | none (default none: pstkit is safe Rust apart
#                   from its read-only mmap, so ASAN finds little and costs
#                   3-5x the executions; overflow checks and debug
#                   assertions are on either way)
#   FUZZ_WORK       where the working corpora and artifacts go (default: a
#                   new temporary directory; the committed seeds under
#                   fuzz/corpus/ are only read)
#   FUZZ_JOBS       cargo build jobs (default: cargo's choice)
#   FUZZ_TARGET_DIR where the targets are built (default: fuzz/target, kept
#                   between runs so that the next build is quick; .ci/run
#                   points it at a temporary directory, about 600 MB, that
#                   it removes at exit)
#
# Runs on the stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass the
# -Z flags it needs. cargo-fuzz is installed from crates.io when missing.
set -euo pipefail
# Resolved before the cd: a relative path is relative to the caller.
target_dir="${FUZZ_TARGET_DIR:+$(realpath -m -- "$FUZZ_TARGET_DIR")}"
cd "$(dirname "$0")"
target_dir="${target_dir:-$PWD/target}"

secs="${1:-10}"
shift || true
all_targets=(ndb_walk recover audit ltp_node message rtf copy writer regfile msg)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=("${all_targets[@]}")
fi
sanitizer="${FUZZ_SANITIZER:-none}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

work="${FUZZ_WORK:-}"
if [ -z "$work" ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/pstkit-fuzz.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
fi

build_args=(-s "$sanitizer" --target-dir "$target_dir")
if [ -n "${FUZZ_JOBS:-}" ]; then
    export CARGO_BUILD_JOBS="$FUZZ_JOBS"
fi

start=$(date +%s)
cargo fuzz build "${build_args[@]}"
bin_dir="$target_dir/x86_64-unknown-linux-gnu/release"
echo "fuzz: built ${#all_targets[@]} targets in $(( $(date +%s) - start )) s (sanitizer: $sanitizer)"

failed=()
for t in "${targets[@]}"; do
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
    log="$work/$t.log"
    echo "fuzz: $t for ${secs} s"
    # The binaries just built run directly: `cargo fuzz run` would rebuild
    # whenever a source file changed since.
    if "$bin_dir/$t" "$work/corpus/$t" "corpus/$t" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t/" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        echo "fuzz: $t ok: ${runs:-?} runs, cov ${cov:-?}"
    else
        echo "fuzz: $t FAILED; the end of its log:"
        tail -60 "$log"
        for a in "$work/artifacts/$t"/*; do
            [ -f "$a" ] || continue
            echo "fuzz: input $(basename "$a") ($(wc -c <"$a") bytes):"
            head -c 4096 "$a" | od -An -tx1 -v | tr -d ' \n' | fold -w 128
            echo
            # Keep it where a developer can find it after the run.
            mkdir -p artifacts/"$t"
            cp "$a" artifacts/"$t"/
        done
        echo "fuzz: reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run -s $sanitizer $t fuzz/artifacts/$t/<input>"
        echo "fuzz: (or: $bin_dir/$t fuzz/artifacts/$t/<input>)"
        failed+=("$t")
    fi
done

echo "fuzz: done in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}"
    exit 1
fi
