#!/usr/bin/env bash
# pstkit against the physical limit and against other readers (issue 6).
#
# On a generated mailbox of about 256 MB and on the largest real sample, times
#   pstkit convert            beside  cp (and cp + fsync, as convert fsyncs its output)
#   pstkit export --format eml beside readpst -e -D -b -q -j 0  and  pffexport -q -m items -f text,
#                              and beside cp -r of its own output and write_floor (the cost of
#                              creating those files: one thread, and one per CPU)
#   pstkit export --format msg beside readpst -m -D -b -q -j 0
#   pstkit export --format parquet beside the EML export (items per second, peak RSS)
#   pstkit check, pstkit ls --json
# and, on a generated 4K-page OST of the same messages (the usual orphaned
# OST of Outlook 2013 and later, whose items cannot be moved as stored into
# a Unicode PST), pstkit convert beside cp, and the EML and Parquet exports;
# with --big-4k N, the two exports again on a 4K-page OST of N messages.
# each run RUNS times (best wall time, highest peak RSS from /usr/bin/time -v;
# the commands compared with each other alternate round by round, so that a
# drift of the machine's speed meets them all), and prints a Markdown report:
# machine, table, ratios (best against best, and paired round by round) and
# the issue's targets.
#
# Usage: benches/compare.sh [--messages N] [--runs N] [--real FILE] [--big-4k N] [--keep | --recycle]
#   --messages N  messages of the generated mailbox (default 14000 ≈ 256 MB;
#                 `pstkit gen --messages 20000` writes ≈ 368 MB)
#   --big-4k N    also a 4K-page OST of N messages (110000 ≈ 2.2 GB): EML and
#                 Parquet exports only (default: none)
#   --runs N      runs of each command, best kept (default 3)
#   --real FILE   the real sample (default: the largest .pst/.ost in
#                 /work/shared/fixtures/real, or $PSTKIT_REAL_DIR)
#   --keep        keep every output until the exit (the default except on
#                 tmpfs): see measure_once. On ext4 without a journal, the
#                 exit's deletion slows file creation for some minutes after:
#                 wait about 6 minutes before the next run
#   --recycle     delete each output right after its run (the default on
#                 tmpfs): every command writes into memory the one before
#                 freed, as a machine that runs one export after another does
# Environment: PSTKIT_BIN (use this binary instead of building the release
# one), WRITE_FLOOR (likewise for benches/src/bin/write_floor.rs), TMPDIR
# (where the work directory goes; it is removed at exit).
#
# Page cache: nothing is dropped (that needs root and would measure the disk,
# not the code). Each input is read once before its first timed command, so
# every command sees the same warm cache; `sync` runs (untimed) before every
# timed command, so none pays for the writeback of the outputs before it.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESSAGES=14000
RUNS=3
REAL=""
BIG4K=0
OUTPUTS=""
REAL_DIR=${PSTKIT_REAL_DIR:-/work/shared/fixtures/real}

die() { echo "compare.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --messages) MESSAGES=${2:?--messages needs a number}; shift 2 ;;
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --real) REAL=${2:?--real needs a file}; shift 2 ;;
        --keep) OUTPUTS=keep; shift ;;
        --recycle) OUTPUTS=recycle; shift ;;
        --big-4k) BIG4K=${2:?--big-4k needs a number}; shift 2 ;;
        -h|--help) sed -n '2,44p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ $MESSAGES =~ ^[0-9]+$ && $MESSAGES -gt 0 ]] || die "--messages must be a positive number"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] || die "--runs must be a positive number"
[[ $BIG4K =~ ^[0-9]+$ ]] || die "--big-4k must be a number"

# ---------------------------------------------------------------- tools
for tool in readpst pffexport cp sync awk find du; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found; install it (readpst: apt-get install pst-utils; pffexport: apt-get install pff-tools)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time); the shell builtin cannot report peak RSS"

if [[ -n ${PSTKIT_BIN:-} ]]; then
    PSTKIT=$PSTKIT_BIN
else
    command -v cargo >/dev/null 2>&1 || die "cargo not found (or set PSTKIT_BIN)"
    echo "compare.sh: building the release binary (cargo build --release -p pstkit-cli)" >&2
    (cd "$ROOT" && cargo build --release -p pstkit-cli >&2) || die "release build failed"
    PSTKIT=${CARGO_TARGET_DIR:-$ROOT/target}/release/pstkit
fi
[[ -x $PSTKIT ]] || die "no pstkit binary at $PSTKIT"

# The export floor: benches/src/bin/write_floor.rs (WRITE_FLOOR overrides).
if [[ -n ${WRITE_FLOOR:-} ]]; then
    FLOOR=$WRITE_FLOOR
elif command -v cargo >/dev/null 2>&1; then
    (cd "$ROOT" && cargo build --release -p pstkit-benches --bin write_floor >&2) || die "write_floor build failed"
    FLOOR=${CARGO_TARGET_DIR:-$ROOT/target}/release/write_floor
else
    FLOOR=""
    echo "compare.sh: no cargo and no WRITE_FLOOR: the export floor is not measured" >&2
fi

if [[ -z $REAL ]]; then
    [[ -d $REAL_DIR ]] || die "no real samples at $REAL_DIR (use --real FILE)"
    REAL=$(find "$REAL_DIR" -maxdepth 1 -type f \( -iname '*.pst' -o -iname '*.ost' \) -printf '%s\t%p\n' |
        sort -rn | head -n 1 | cut -f2-)
    [[ -n $REAL ]] || die "no .pst or .ost in $REAL_DIR"
fi
[[ -r $REAL ]] || die "cannot read $REAL"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pstkit-compare.XXXXXX")
WORK_FS=$(df --output=fstype "$WORK" | tail -n 1)
if [[ -z $OUTPUTS ]]; then
    if [[ $WORK_FS == tmpfs ]]; then OUTPUTS=recycle; else OUTPUTS=keep; fi
fi
cleanup() { rm -rf -- "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- measuring
RESULTS=$WORK/results.tsv   # input op cmd wall user+sys rss_kb rc files bytes
: >"$RESULTS"

now_ns() { date +%s%N; }

# measure_once INPUT OP ROUND -- COMMAND...
# One timed run of COMMAND in a fresh empty directory ("@D@" in COMMAND
# stands for it); report_op then writes the best of the rounds. Commands
# compared with each other run in alternation, round by round (see
# run_convert, run_all): this VM's speed drifts (first touches of memory,
# write-back, file creation after deletions), and alternating makes every
# command meet the same drift. Every round's wall time also goes to ROUNDS,
# for the paired ratios of the report.
# What happens to the output after its run (--keep, --recycle):
# - keep (the default on disk filesystems): outputs stay until the exit
#   (see drop_outputs). On ext4 without a journal, as here,
#   creating files right after deleting many makes the inode allocator skip
#   every recently deleted inode, which would charge one tool for the
#   clean-up of the one before. Every command then writes into memory that
#   nothing used recently, which on this VM is a host fault per page
#   (free-page reporting), a cost charged to every tool alike.
# - recycle (the default on tmpfs, which has no such allocator): the output
#   is counted and deleted right after its run, so the next command writes
#   into the pages it freed, as on a machine that runs one job after
#   another. One pstkit export tree is kept for the floor rows.
ROUNDS=$WORK/rounds.tsv     # input op round wall
: >"$ROUNDS"
declare -A BEST BEST_CPU BEST_DIR PEAK RCODE SHOWN STOPPED DIR_FILES DIR_BYTES
measure_once() {
    local input=$1 op=$2 round=$3
    shift 4
    local key="$input|$op" t0 t1 wall cpu r kb arg
    [[ -z ${STOPPED[$key]:-} ]] || return 0
    local slug=${op//[^A-Za-z0-9]/-}
    local dir=$WORK/runs/$input/$slug.$round
    mkdir -p -- "$dir"
    local cmd=()
    for arg in "$@"; do cmd+=("${arg//@D@/$dir}"); done
    local shown
    shown=$(printf '%q ' "$@")
    shown=${shown//@D@/DIR}
    SHOWN[$key]=${shown% }
    # Untimed: flush what earlier runs wrote, so that no command (convert
    # and cp + fsync wait for the disk) pays for another one's writeback.
    sync
    t0=$(now_ns)
    if /usr/bin/time -v -o "$WORK/time.txt" "${cmd[@]}" >/dev/null 2>"$WORK/stderr.txt"; then
        r=0
    else
        r=$?
    fi
    t1=$(now_ns)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    cpu=$(awk -F': ' '/User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
                      END { printf "%.2f / %.2f", u, s }' "$WORK/time.txt")
    kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
    if ((kb > ${PEAK[$key]:-0})); then PEAK[$key]=$kb; fi
    if ((r != 0)); then RCODE[$key]=$r; fi
    printf '%s\t%s\t%s\t%s\n' "$input" "$op" "$round" "$wall" >>"$ROUNDS"
    if [[ -z ${BEST[$key]:-} ]] || awk -v a="$wall" -v b="${BEST[$key]}" 'BEGIN { exit !(a < b) }'; then
        BEST[$key]=$wall
        BEST_CPU[$key]=$cpu
        BEST_DIR[$key]=$dir
    fi
    if ((r != 0 && r != 1)); then
        echo "compare.sh: $op on $input exited $r:" >&2
        tail -n 5 "$WORK/stderr.txt" >&2
        STOPPED[$key]=1
    fi
    if [[ $OUTPUTS == recycle ]]; then
        count_output "$dir"
        # The last pstkit export tree is the source of the floor rows.
        if [[ $op != "export pstkit" || $round != "$RUNS" ]]; then
            rm -rf -- "$dir"
        fi
    fi
}

# count_output DIR: its files and their bytes, into DIR_FILES and DIR_BYTES.
count_output() {
    local dir=$1
    DIR_FILES[$dir]=-
    DIR_BYTES[$dir]=-
    if [[ -d $dir && -n $(find "$dir" -mindepth 1 -print -quit) ]]; then
        DIR_FILES[$dir]=$(find "$dir" -type f | wc -l)
        DIR_BYTES[$dir]=$(find "$dir" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
    fi
}

# report_op INPUT OP: the best round of OP, its output's size, into RESULTS.
report_op() {
    local input=$1 op=$2
    local key="$input|$op"
    local dir=${BEST_DIR[$key]}
    [[ -n ${DIR_FILES[$dir]:-} ]] || count_output "$dir"
    local files=${DIR_FILES[$dir]} bytes=${DIR_BYTES[$dir]}
    local rss=${PEAK[$key]:-0} rc=${RCODE[$key]:-0}
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$input" "$op" "${SHOWN[$key]}" "${BEST[$key]}" "${BEST_CPU[$key]}" "$rss" "$rc" "$files" "$bytes" >>"$RESULTS"
    echo "compare.sh: $input: $op: best ${BEST[$key]} s, peak RSS $((rss / 1024)) MB, exit $rc" >&2
}

# measure INPUT OP -- COMMAND...: all rounds of one command, then its report.
measure() {
    local input=$1 op=$2 i
    shift 3
    for ((i = 1; i <= RUNS; i++)); do measure_once "$input" "$op" "$i" -- "$@"; done
    report_op "$input" "$op"
}

# measure_floor INPUT TREE: write_floor re-creates TREE (same names, same
# bytes) with one thread per CPU, RUNS times; it times only its writing
# (the tree is loaded first), which is what any exporter producing TREE on
# this many threads pays the kernel at least.
measure_floor() {
    local input=$1 tree=$2 best="" out="" i secs
    [[ -n $FLOOR ]] || return 0
    for ((i = 1; i <= RUNS; i++)); do
        mkdir -p -- "$WORK/runs/$input"
        sync
        out=$("$FLOOR" "$tree" "$WORK/runs/$input/write-floor.$i") || die "write_floor failed on $tree"
        if [[ $OUTPUTS == recycle ]]; then rm -rf -- "$WORK/runs/$input/write-floor.$i"; fi
        secs=$(awk '{ print $4 }' <<<"$out")
        if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$secs
        fi
    done
    local files bytes threads
    read -r files bytes threads _ <<<"$out"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$input" "write floor" "write_floor TREE DIR ($threads threads; writing only)" \
        "$best" "-" 0 0 "$files" "$bytes" >>"$RESULTS"
    echo "compare.sh: $input: write floor: best $best s ($threads threads)" >&2
}

# run_convert NAME FILE: convert beside cp (and cp + fsync), after one
# warm-up read of the input, so every command sees it cached.
run_convert() {
    local name=$1 file=$2
    cat -- "$file" >/dev/null
    local i
    for ((i = 1; i <= RUNS; i++)); do
        measure_once "$name" "cp" "$i" -- cp -- "$file" @D@/copy
        measure_once "$name" "cp + fsync" "$i" -- sh -c 'cp -- "$1" "$2" && sync -- "$2"' sh "$file" @D@/copy
        measure_once "$name" "convert" "$i" -- "$PSTKIT" convert "$file" @D@/converted.pst
    done
    report_op "$name" "cp"
    report_op "$name" "cp + fsync"
    report_op "$name" "convert"
}

# run_all NAME FILE
run_all() {
    local name=$1 file=$2
    run_convert "$name" "$file"
    local i
    for ((i = 1; i <= RUNS; i++)); do
        measure_once "$name" "export pstkit" "$i" -- "$PSTKIT" export "$file" --format eml --out @D@/eml
        measure_once "$name" "export readpst" "$i" -- readpst -e -D -b -q -j 0 -o @D@ "$file"
        measure_once "$name" "export pffexport" "$i" -- pffexport -q -m items -f text -t @D@/pff "$file"
        measure_once "$name" "export parquet" "$i" -- "$PSTKIT" export "$file" --format parquet --out @D@/parquet
    done
    count_items "$name" "$file"
    report_op "$name" "export pstkit"
    report_op "$name" "export parquet"
    # The floor of an EML export: creating the same files with the same bytes
    # (cp -r of pstkit's last output), as cp is the floor of convert.
    measure "$name" "cp -r of the EML tree" -- cp -r -- "$WORK/runs/$name/export-pstkit.$RUNS/eml" @D@/eml
    measure_floor "$name" "$WORK/runs/$name/export-pstkit.$RUNS/eml"
    report_op "$name" "export readpst"
    report_op "$name" "export pffexport"
    # .msg files: pstkit beside readpst -m (which writes each mail as .msg
    # and as .eml, and contacts and calendar items as .vcf and .ics).
    for ((i = 1; i <= RUNS; i++)); do
        measure_once "$name" "export msg pstkit" "$i" -- "$PSTKIT" export "$file" --format msg --out @D@/msg
        measure_once "$name" "export msg readpst" "$i" -- readpst -m -D -b -q -j 0 -o @D@ "$file"
    done
    report_op "$name" "export msg pstkit"
    report_op "$name" "export msg readpst"
    measure "$name" "check" -- "$PSTKIT" check "$file"
    measure "$name" "ls --json" -- "$PSTKIT" ls --json "$file"
    drop_outputs "$name"
}

# run_exports NAME FILE: the EML and Parquet exports of pstkit alone,
# alternating (for the 4K OSTs, which readpst and pffexport are not timed on).
run_exports() {
    local name=$1 file=$2 i
    cat -- "$file" >/dev/null
    for ((i = 1; i <= RUNS; i++)); do
        measure_once "$name" "export pstkit" "$i" -- "$PSTKIT" export "$file" --format eml --out @D@/eml
        measure_once "$name" "export parquet" "$i" -- "$PSTKIT" export "$file" --format parquet --out @D@/parquet
    done
    count_items "$name" "$file"
    report_op "$name" "export pstkit"
    report_op "$name" "export parquet"
}

# count_items NAME FILE: the items `ls --json` lists, into ITEMS (for items
# per second).
ITEMS_FILE=$WORK/items.tsv
: >"$ITEMS_FILE"
count_items() {
    printf '%s\t%s\n' "$1" "$("$PSTKIT" ls --json "$2" | grep -c '"type":"item"')" >>"$ITEMS_FILE"
}

# drop_outputs NAME: with --recycle, the outputs left of input NAME go now.
# With --keep they stay until the exit: on ext4 without a journal, deleting
# them here made the inode allocator of the next input's commands skip every
# inode freed in the last minutes (recently_deleted), so the real sample's
# exports, run right after the synth outputs went, were charged for it
# (0.109 s for pstkit export against 0.01-0.02 s when run alone).
drop_outputs() {
    if [[ $OUTPUTS == recycle ]]; then rm -rf -- "$WORK/runs/$1"; fi
}


# ---------------------------------------------------------------- inputs
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
SYNTH=$WORK/synth.pst
echo "compare.sh: generating $MESSAGES messages" >&2
t0=$(now_ns)
"$PSTKIT" gen --messages "$MESSAGES" "$SYNTH" 2>&1 >/dev/null | sed 's/^/compare.sh: /' >&2
t1=$(now_ns)
GEN_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
[[ -s $SYNTH ]] || die "pstkit gen wrote nothing"

run_all synth "$SYNTH"
run_all real "$REAL"
OST4K=$WORK/synth-4k.ost
echo "compare.sh: generating $MESSAGES messages as a 4K-page OST" >&2
"$PSTKIT" gen --4k --server exchange.example --mailbox bench --messages "$MESSAGES" "$OST4K" 2>&1 >/dev/null | sed 's/^/compare.sh: /' >&2
# Convert only: the 4K OST's blocks cannot be moved into a Unicode PST, so
# every item is decoded and rebuilt.
run_convert ost4k "$OST4K"
run_exports ost4k "$OST4K"
drop_outputs ost4k
BIG4K_BYTES=0
if ((BIG4K > 0)); then
    BIG=$WORK/big-4k.ost
    echo "compare.sh: generating $BIG4K messages as a 4K-page OST" >&2
    "$PSTKIT" gen --4k --server exchange.example --mailbox bench --messages "$BIG4K" "$BIG" 2>&1 >/dev/null | sed 's/^/compare.sh: /' >&2
    BIG4K_BYTES=$(stat -c %s "$BIG")
    run_exports big4k "$BIG"
    drop_outputs big4k
    rm -f -- "$BIG"
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
SYNTH_BYTES=$(stat -c %s "$SYNTH")
OST4K_BYTES=$(stat -c %s "$OST4K")
REAL_BYTES=$(stat -c %s "$REAL")
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
FS=$(df -hT "$WORK" | awk 'NR == 2 { print $1 ", " $2 ", " $3 " total, " $5 " free" }')
if [[ -n ${PSTKIT_BIN:-} ]]; then
    BUILT_FROM="given by PSTKIT_BIN (its source commit is not known to this script)"
else
    COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l)
    BUILT_FROM="built from $ROOT at commit $COMMIT"
    if ((DIRTY > 0)); then BUILT_FROM+=" with $DIRTY modified tracked files"; fi
fi
READPST_V=$(readpst -V 2>&1 | head -n 1 || true)
PFF_V=$(pffexport -V 2>&1 | head -n 1 || true)

cat <<EOF
## Machine

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- CPU: $CPU, nproc $(nproc)
- memory: $MEM
- work directory: $WORK on $FS
- kernel: $(uname -sr)
- load average (1/5/15 min) at start: $LOAD_START; at end: $LOAD_END
- pstkit: $PSTKIT ($("$PSTKIT" --version 2>/dev/null || echo "version unknown")); $BUILT_FROM
- readpst: $READPST_V; pffexport: $PFF_V
- runs per command: $RUNS (best wall time kept; peak RSS is the highest of the runs); cp, cp + fsync and convert alternate round by round, as do the three exports
- page cache: not dropped; each input read once (cat > /dev/null) before its first command, so all see a warm cache; \`sync\` (untimed) before every run
- outputs: $OUTPUTS ($(if [[ $OUTPUTS == recycle ]]; then echo "each deleted right after its run, so the next command writes into the memory it freed"; else echo "all kept until the end of the run, so every command writes into memory nothing used recently and creates files where nothing was deleted"; fi)); work directory on $WORK_FS
- synth: \`pstkit gen --messages $MESSAGES\`, $SYNTH_BYTES bytes, generated in $GEN_SECS s
- real: $(basename "$REAL"), $REAL_BYTES bytes
- ost4k: \`pstkit gen --4k --messages $MESSAGES\` (an Outlook 2013-style 4K-page OST with zlib blocks), $OST4K_BYTES bytes: convert to a Unicode PST decodes and rebuilds every item
- big4k: $(if ((BIG4K > 0)); then echo "\`pstkit gen --4k --messages $BIG4K\`, $BIG4K_BYTES bytes: the EML and Parquet exports only"; else echo "not run (--big-4k N)"; fi)

EOF

awk -F'\t' -v synth_bytes="$SYNTH_BYTES" -v real_bytes="$REAL_BYTES" -v ost4k_bytes="$OST4K_BYTES" -v big4k_bytes="$BIG4K_BYTES" '
function mb(b) { return b / 1e6 }
# The ratio a/b of the same round, for each round both ran, and their median.
function paired(in_, a, b,    i, n, v, out, j, t) {
    n = 0
    for (i = 1; (in_ SUBSEP a SUBSEP i) in round; i++) {
        if (!((in_ SUBSEP b SUBSEP i) in round) || round[in_ SUBSEP b SUBSEP i] <= 0) continue
        v[++n] = round[in_ SUBSEP a SUBSEP i] / round[in_ SUBSEP b SUBSEP i]
    }
    if (n == 0) return "-"
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    out = ""
    for (i = 1; i <= n; i++) out = out (i > 1 ? ", " : "") sprintf("%.3f", v[i])
    return sprintf("%s (median %.3f)", out, (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
}
FILENAME == ARGV[1] { items[$1] = $2; next }
FILENAME == ARGV[2] { round[$1 SUBSEP $2 SUBSEP $3] = $4; next }
{
    key = $1 SUBSEP $2
    wall[key] = $4; cpu[key] = $5; rss[key] = $6; rc[key] = $7
    files[key] = $8; bytes[key] = $9; cmd[key] = $3
    order[++n] = key
}
END {
    print "| input | operation | best wall (s) | MB/s of input | CPU user / sys (s) | peak RSS (MB) | exit | output files | output MB (file bytes) | ratio |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, SUBSEP); in_ = p[1]; op = p[2]
        size = (in_ == "synth") ? synth_bytes : (in_ == "ost4k") ? ost4k_bytes : (in_ == "big4k") ? big4k_bytes : real_bytes
        speed = (wall[k] > 0) ? sprintf("%.1f", mb(size) / wall[k]) : "-"
        ratio = ""
        if (op == "convert") {
            c = in_ SUBSEP "cp"; cs = in_ SUBSEP "cp + fsync"
            ratio = sprintf("%.3f of cp speed (1/%.1f); %.3f of cp+fsync", wall[c] / wall[k], wall[k] / wall[c], wall[cs] / wall[k])
        }
        if (op == "cp -r of the EML tree") {
            e = in_ SUBSEP "export pstkit"
            ratio = sprintf("pstkit export takes %.2f× this", wall[e] / wall[k])
        }
        if (op == "write floor") {
            e = in_ SUBSEP "export pstkit"; r = in_ SUBSEP "export readpst"
            ratio = sprintf("pstkit export takes %.2f× this; 5× readpst is %.3f s", wall[e] / wall[k], wall[r] / 5)
        }
        if (op == "export msg pstkit") {
            r = in_ SUBSEP "export msg readpst"
            ratio = sprintf("%.2f× readpst -m", wall[r] / wall[k])
        }
        if (op == "export pstkit" && (in_ SUBSEP "export readpst") in wall) {
            r = in_ SUBSEP "export readpst"; f = in_ SUBSEP "export pffexport"
            ratio = sprintf("%.2f× readpst, %.2f× pffexport", wall[r] / wall[k], wall[f] / wall[k])
        }
        if (op == "export parquet" && wall[k] > 0) {
            e = in_ SUBSEP "export pstkit"
            ratio = sprintf("%.0f items/s; EML export %.0f items/s (%.2f× this time)", items[in_] / wall[k], items[in_] / wall[e], wall[e] / wall[k])
        }
        ob = (bytes[k] == "-") ? "-" : sprintf("%.1f", mb(bytes[k]))
        printf "| %s | %s | %.3f | %s | %s | %.1f | %s | %s | %s | %s |\n", in_, op, wall[k], speed, cpu[k], rss[k] / 1024, rc[k], files[k], ob, ratio
    }
    print ""
    print "Commands (synth):"
    print ""
    for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, SUBSEP)
        if (p[1] == "synth") printf "- %s: `%s`\n", p[2], cmd[k]
    }
    print ""
    s = "synth"
    conv = wall[s SUBSEP "convert"]; cp = wall[s SUBSEP "cp"]
    frac = cp / conv
    exp_ = wall[s SUBSEP "export pstkit"]
    xr = wall[s SUBSEP "export readpst"] / exp_
    xf = wall[s SUBSEP "export pffexport"] / exp_
    crss = rss[s SUBSEP "convert"] / 1024
    print "## Targets of issue 6 (synth mailbox)"
    print ""
    printf "- convert at least 1/3 of cp speed: %s (%.3f of cp speed: %.2f s against %.3f s; %.3f against cp + fsync)\n", (frac >= 1/3) ? "MET" : "NOT MET", frac, conv, cp, wall[s SUBSEP "cp + fsync"] / conv
    printf "- export at least 5× faster than readpst: %s (%.2f×: %.2f s against %.2f s)\n", (xr >= 5) ? "MET" : "NOT MET", xr, exp_, wall[s SUBSEP "export readpst"]
    printf "- export at least 5× faster than pffexport: %s (%.2f×: %.2f s against %.2f s)\n", (xf >= 5) ? "MET" : "NOT MET", xf, exp_, wall[s SUBSEP "export pffexport"]
    xm = wall[s SUBSEP "export msg readpst"] / wall[s SUBSEP "export msg pstkit"]
    printf "- export --format msg at least 5× faster than readpst -m (issue 23): %s (%.2f×: %.2f s against %.2f s; paired %s)\n", (xm >= 5) ? "MET" : "NOT MET", xm, wall[s SUBSEP "export msg pstkit"], wall[s SUBSEP "export msg readpst"], paired(s, "export msg readpst", "export msg pstkit")
    printf "- convert peak RSS under 200 MB: %s (%.1f MB)\n", (crss < 200) ? "MET" : "NOT MET", crss
    printf "- paired, round by round (the commands alternate, so each pair met the same conditions): cp time / convert time %s; readpst / pstkit export %s; pffexport / pstkit export %s\n", paired(s, "cp", "convert"), paired(s, "export readpst", "export pstkit"), paired(s, "export pffexport", "export pstkit")
    fl = wall[s SUBSEP "cp -r of the EML tree"]
    printf "- for scale: creating the EML files alone (cp -r of the tree) takes %.2f s; pstkit export %.2f×, readpst %.2f×, pffexport %.2f× that\n", fl, exp_ / fl, wall[s SUBSEP "export readpst"] / fl, wall[s SUBSEP "export pffexport"] / fl
    wf = wall[s SUBSEP "write floor"]
    if (wf > 0)
        printf "- the floor of an export writing these files on this machine (write_floor, one thread per CPU, writing only): %.3f s; pstkit export takes %.2f× it; 5× readpst (%.3f s) is %.2f× it\n", wf, exp_ / wf, wall[s SUBSEP "export readpst"] / 5, wall[s SUBSEP "export readpst"] / 5 / wf
    print ""
    print "## Targets of issue 26 (Parquet export)"
    print ""
    for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, SUBSEP)
        if (p[2] != "export parquet") continue
        in_ = p[1]; e = in_ SUBSEP "export pstkit"
        printf "- %s (%d items): Parquet %.0f items/s, peak RSS %.1f MB; EML %.0f items/s, %.1f MB; at least as fast as the EML export: %s\n", in_, items[in_], items[in_] / wall[k], rss[k] / 1024, items[in_] / wall[e], rss[e] / 1024, (wall[k] <= wall[e]) ? "MET" : "NOT MET"
        if (in_ == "big4k")
            printf "- big4k Parquet peak RSS under 200 MB: %s (%.1f MB)\n", (rss[k] / 1024 < 200) ? "MET" : "NOT MET", rss[k] / 1024
    }
}' "$ITEMS_FILE" "$ROUNDS" "$RESULTS"
