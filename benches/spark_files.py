#!/usr/bin/env python3
"""Files per second of python/examples/spark_archive.py with one and two
local workers.

    python3 benches/spark_files.py OUT_DIR FILE_OR_DIR...

Times `archive()` alone (Spark is started, and warmed by one
run on the first file, before the clock starts), each master twice, and
prints the better run of each.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python" / "examples"))
import spark_archive  # noqa: E402


def main() -> int:
    out, paths = sys.argv[1], sys.argv[2:]
    files = spark_archive.input_files(paths)
    for master in ["local[1]", "local[2]"]:
        spark = spark_archive.session(master, app="pstkit bench")
        spark_archive.archive(spark, files[:1], f"{out}/warm")
        best = float("inf")
        for i in range(2):
            # No brackets: Spark reads paths as glob patterns.
            dst = f"{out}/{master.strip(']').replace('[', '')}-{i}"
            t = time.perf_counter()
            spark_archive.archive(spark, files, dst)
            s = time.perf_counter() - t
            best = min(best, s)
            items = spark.read.parquet(f"{dst}/messages").count()
        spark.stop()
        shutil.rmtree(out, ignore_errors=True)
        print(f"{master}: {len(files)} files, {items} items in {best:.1f} s: "
              f"{len(files) / best:.2f} files/s, {items / best:,.0f} items/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
