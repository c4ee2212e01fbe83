#!/usr/bin/env bash
# The whole test suite: the README's second command, and what `.ci/run` runs
# after its format, lint and doc checks. Installs what the tests compare
# against when it is missing (Debian's pst-utils, pff-tools, openssl and
# msgconvert; Python's extract-msg, olefile, pyarrow, DuckDB; Java, maturin,
# pytest, PySpark, pandas and mypy for the Python package), then runs the
# Rust tests and the Python package's tests.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
if ! command -v pffexport >/dev/null || ! command -v readpst >/dev/null ||
    ! command -v openssl >/dev/null || ! command -v msgconvert >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq pst-utils pff-tools openssl libemail-outlook-message-perl >/dev/null
fi
# The .msg tests read what the export writes with Python's extract-msg and olefile.
if ! python3 -c "import extract_msg, olefile" 2>/dev/null; then
    python3 -m pip install -q extract-msg olefile
fi
# The Parquet export's tests read the files back with pyarrow and DuckDB.
if ! python3 -c 'import pyarrow, duckdb' 2>/dev/null; then
    python3 -m pip install -q pyarrow duckdb ||
        python3 -m pip install -q --break-system-packages pyarrow duckdb
fi

# The Python package's tests run Spark in local mode (Java 17).
if ! command -v java >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
if ! python3 -c 'import maturin, pytest, pyspark, pandas, mypy' 2>/dev/null; then
    python3 -m pip install -q maturin pytest pyspark 'pandas<3' mypy ||
        python3 -m pip install -q --break-system-packages maturin pytest pyspark 'pandas<3' mypy
fi

cargo test --workspace
target=${CARGO_TARGET_DIR:-$PWD/target}

# The Python package (its own Cargo workspace, outside the one above): the
# wheel built and installed, and its tests against the `pstkit` command
# `cargo test` built. Its build shares the workspace's target directory
# (and the dependencies built there), so that no second build directory
# grows in the tree. The dev profile: its tests read small files, and from
# cold it builds in 85 s of CPU (211 s wall on a loaded machine) where a
# release wheel takes 271 s (428 s).
rm -rf "$target/wheels"
(cd python && CARGO_TARGET_DIR="$target" python3 -m maturin build -q --profile dev -o "$target/wheels")
python3 -m pip install -q --force-reinstall --no-deps "$target"/wheels/pstkit-*.whl ||
    python3 -m pip install -q --force-reinstall --no-deps --break-system-packages "$target"/wheels/pstkit-*.whl
# The type stubs say what the extension has, and the package type-checks.
# From the top of the tree, so that `import pstkit` is the installed wheel,
# not python/pstkit without its extension.
python3 -m mypy.stubtest --ignore-disjoint-bases --mypy-config-file python/stubtest.ini pstkit._pstkit
(cd python && python3 -m mypy --config-file stubtest.ini --strict pstkit/)
python3 -m mypy --config-file python/stubtest.ini python/examples benches/python_iter.py benches/spark_files.py
PSTKIT_BIN="$target/debug/pstkit" python3 -m pytest -q python/tests

