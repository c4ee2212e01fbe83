#!/usr/bin/env bash
# Time and peak RSS against input size (issue 21).
#
# For each size, generates a 4K-page OST of the synthetic mailbox, then times
#   pstkit convert (4K OST -> PST), pstkit export --format eml, pstkit check,
#   cp, and cp + sync
# once each (wall time, CPU time and peak RSS from /usr/bin/time), deletes every file of
# that size, and goes on to the next. At the end it prints a Markdown table
# for benches/RESULTS.md and, when gnuplot is installed, draws wall time and
# peak RSS against size into $SVG (default scale.svg in the current
# directory).
#
# Usage: benches/scale.sh [SIZE...]
#   SIZE  messages of a generated mailbox; default 14000 110000 440000 1000000
#         (about 0.27, 2.2, 8.8 and 20 GB as 4K OSTs, 20 KB a message).
# A size is skipped, saying so, when the disk does not have room for it: the
# OST and, one at a time, the converted PST (about the same size), the export
# (about 1.1 times) or the copy, plus 2 GB to spare.
# Run as root, each command starts with the page cache dropped (cold, as a
# user's first run) and SETTLE seconds later (default 15); otherwise with
# what the command before it left. The wait matters on a VM whose balloon
# reports free pages to the host (Firecracker, QEMU with free page
# reporting): memory freed by the drop is handed back a few seconds later,
# and touching it again costs a fault on the host. Without the wait a file
# smaller than the memory just freed is read into pages still backed, and a
# larger one mostly into pages that are not: a plain `dd` of a 2.2 GB file
# took 0.10 s of system time at once and 1.3-3.1 s ten seconds later.
# Environment: PSTKIT_BIN (use this binary instead of building the release
# one), TMPDIR (where the work directory goes; it is removed at exit),
# SETTLE (seconds to wait after dropping the cache).
set -euo pipefail

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(14000 110000 440000 1000000)
BYTES_PER_MESSAGE=20100

here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PSTKIT_BIN:-}" ]; then
    (cd "$here" && cargo build --release -q -p pstkit-cli)
    PSTKIT_BIN="${CARGO_TARGET_DIR:-$here/target}/release/pstkit"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pstkit-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
rows="$work/rows.tsv"
: >"$rows"

# run NAME SIZE CMD...: one timed run; appends "size name seconds KB".
# Every run starts with the page cache dropped where that is allowed (as
# root), so that each reads its input from the disk as a user's first run
# would, whatever the run before it left in memory (the file just
# generated, in particular: `gen` writes it around the cache), after the
# same wait, so that every size finds memory in the same state.
SETTLE=${SETTLE:-15}
run() {
    local name=$1 size=$2
    shift 2
    sync
    if echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
        sleep "$SETTLE"
    fi
    /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
        echo "$name failed:" >&2
        cat "$work/err" >&2
        exit 2
    }
    read -r secs kb user sys <"$work/time"
    printf '%s\t%s\t%s\t%s\t%s\n' "$size" "$name" "$secs" "$kb" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$rows"
}

for n in "${SIZES[@]}"; do
    need=$((n * BYTES_PER_MESSAGE * 21 / 10 + (2 << 30)))
    free=$(($(df -Pk "$work" | awk 'NR == 2 { print $4 }') * 1024))
    if [ "$free" -lt "$need" ]; then
        echo "skipped $n messages: needs about $((need >> 30)) GiB, $((free >> 30)) GiB free" >&2
        continue
    fi
    ost="$work/in.ost"
    run gen "$n" "$PSTKIT_BIN" gen --4k --ost --server s --mailbox m --messages "$n" "$ost"
    size=$(stat -c %s "$ost")
    sed -i "s/^$n\t/$size\t/" "$rows"
    run convert "$size" "$PSTKIT_BIN" convert "$ost" "$work/out.pst"
    rm -f "$work/out.pst"
    run "export eml" "$size" "$PSTKIT_BIN" export "$ost" --format eml --out "$work/eml"
    rm -rf "$work/eml"
    run check "$size" "$PSTKIT_BIN" check "$ost"
    run cp "$size" cp "$ost" "$work/copy"
    rm -f "$work/copy"
    run "cp + sync" "$size" sh -c 'cp "$1" "$2" && sync "$2"' sh "$ost" "$work/copy"
    rm -f "$work/copy" "$ost"
    echo "done: $n messages, $size bytes" >&2
done

echo "| input (4K OST) | command | wall time | wall s/GB | CPU (user + sys) | CPU s/GB | peak RSS |"
echo "|---|---|---:|---:|---:|---:|---:|"
awk -F'\t' '{ gb = $1 / 1e9; printf "| %.2f GB | %s | %.2f s | %.2f | %.2f s | %.2f | %.1f MiB |\n", gb, $2, $3, $3 / gb, $5, $5 / gb, $4 / 1024 }' "$rows"

if command -v gnuplot >/dev/null && [ -s "$rows" ]; then
    svg=${SVG:-scale.svg}
    for c in gen convert "export eml" check cp "cp + sync"; do
        awk -F'\t' -v c="$c" '$2 == c { print $1 / 1e9, $3, $4 / 1024 }' "$rows" >"$work/${c//[ +]/_}.dat"
    done
    gnuplot <<EOF
set terminal svg size 900,420 font "sans,11"
set output "$svg"
set multiplot layout 1,2
set xlabel "input (GB, 4K OST)"
set key left top
set grid
set ylabel "wall time (s)"
plot "$work/gen.dat" using 1:2 with linespoints title "gen", \
     "$work/convert.dat" using 1:2 with linespoints title "convert", \
     "$work/export_eml.dat" using 1:2 with linespoints title "export eml", \
     "$work/check.dat" using 1:2 with linespoints title "check", \
     "$work/cp___sync.dat" using 1:2 with linespoints title "cp + sync"
set ylabel "peak RSS (MiB)"
set yrange [0:*]
plot "$work/gen.dat" using 1:3 with linespoints title "gen", \
     "$work/convert.dat" using 1:3 with linespoints title "convert", \
     "$work/export_eml.dat" using 1:3 with linespoints title "export eml", \
     "$work/check.dat" using 1:3 with linespoints title "check", \
     200e6 / 1048576 with lines dashtype 2 title "200 MB"
unset multiplot
EOF
    echo "wrote $svg" >&2
fi
