#!/usr/bin/env python3
"""Turns a pile of PST and OST files into a Parquet message table with Spark.

    spark_archive.py --master local[2] --out DIR PATH...
    spark-submit --master spark://host:7077 spark_archive.py --out DIR PATH...

Each PATH is a file, or a directory whose ``*.pst`` and ``*.ost`` files
(at any depth) are taken. Every file is one Spark task: the file list is a
DataFrame repartitioned to one row per partition, and ``mapInArrow`` hands
each path to ``pstkit``'s ``record_batches``, whose Arrow batches go to
Spark as they are. Written:

- ``DIR/messages/``: one row per item (the columns of ``pstkit export
  --format parquet``), a Parquet dataset partitioned by ``source``, the
  file's path;
- ``DIR/errors/``: one row per file that could not be read and per folder
  or item that was lost (``file``, ``lost``: file, folder or item,
  ``folder``, ``item``: its node id, ``error``: the pstkit exception's
  class, ``message``).

A damaged or foreign file is an ``errors`` row, never a failed job (the
rows travel to the driver with the tasks' results, an accumulator, so that
each file is read once). The
files are read where the tasks run: on a cluster, PATHs must name the same
files on every worker (a shared mount), and DIR a place every worker and
the driver can write (a shared mount, HDFS, S3).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Iterator

import pyarrow as pa
from pyspark.accumulators import Accumulator, AccumulatorParam

# The errors dataset's columns.
ERRORS_SCHEMA = "file string, lost string, folder string, item long, error string, message string"


def input_files(paths: list[str]) -> list[str]:
    """The files named, and the PST and OST files under the directories
    named, each once, in order."""
    out: dict[str, None] = {}
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in (".pst", ".ost"):
                    out[str(f.resolve())] = None
        else:
            # Kept even when it does not exist: its errors row says so.
            out[str(path.resolve())] = None
    return list(out)


def file_frame(spark, files: list[str]):
    """The paths as a DataFrame of one row per partition, so one task per
    file: a large file does not hold back small ones queued behind it in
    the same task. (A hash repartition by path would put some files
    together and leave partitions empty.)"""
    rdd = spark.sparkContext.parallelize([(p,) for p in files], max(len(files), 1))
    return spark.createDataFrame(rdd, "path string")


class ErrorRows(AccumulatorParam):
    """Error rows gathered from the tasks: few and small, so they travel
    to the driver with each task's result instead of being a second
    dataset the tasks compute (which would read every file twice, or keep
    every row on disk between two writes)."""

    def zero(self, value: list) -> list:
        return []

    def addInPlace(self, a: list, b: list) -> list:
        a.extend(b)
        return a


def read_files(
    batches: Iterator[pa.RecordBatch], batch_size: int, errors: Accumulator
) -> Iterator[pa.RecordBatch]:
    """The task: each path of the input batches read into message rows;
    what could not be read added to `errors`."""
    import pstkit

    for paths in batches:
        for path in paths.column("path").to_pylist():
            rows: list[tuple] = []
            try:
                with pstkit.open(path) as f:
                    # One reading thread: Spark runs a task per core already.
                    yield from f.record_batches(batch_size=batch_size, threads=1)
                    lost = f.lost
            except pstkit.Error as e:
                lost = []
                rows.append((path, "file", None, None, type(e).__name__, str(e)))
            for x in lost:
                rows.append((path, x.lost, x.folder, x.item, type(x).__name__, str(x)))
            if rows:
                errors.add(rows)


def archive(spark, files: list[str], out: str, batch_size: int = 1024) -> None:
    """Reads `files` on the cluster of `spark` into `out`/messages and
    `out`/errors."""
    import pstkit
    from pyspark.sql.pandas.types import from_arrow_schema

    if __name__ != "__main__":
        # Imported (by a test, a notebook): the task functions go to the
        # workers by value, as they would from a script.
        from pyspark import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    schema = from_arrow_schema(pstkit.messages_schema())
    errors = spark.sparkContext.accumulator([], ErrorRows())
    items = file_frame(spark, files).mapInArrow(
        lambda it: read_files(it, batch_size, errors), schema
    )
    # A write is an action: each task's errors are added once, whatever
    # tasks were retried.
    items.write.mode("overwrite").partitionBy("source").parquet(os.path.join(out, "messages"))
    spark.createDataFrame(errors.value, ERRORS_SCHEMA).coalesce(1).write.mode(
        "overwrite"
    ).parquet(os.path.join(out, "errors"))


def session(master: str | None, app: str = "pstkit archive"):
    from pyspark.sql import SparkSession

    b = SparkSession.builder.appName(app).config("spark.sql.session.timeZone", "UTC")
    # Arrow batches of mail (bodies, headers) are large: keep Spark's own
    # Arrow batches to a modest number of rows.
    b = b.config("spark.sql.execution.arrow.maxRecordsPerBatch", "1024")
    if master:
        b = b.master(master)
        if master.startswith("local"):
            # Workers run this interpreter, which has pstkit.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            # The driver is the executor here, and a job of a few files is
            # short: the optimising JIT compiling Spark's generated code
            # took more CPU than the tasks themselves (1.3-2.3 s against
            # 0.7-0.9 s for 8 files), on the cores the tasks need. The
            # quick compiler alone costs a fifth of that. A cluster's
            # executors are long-lived JVMs of their own: left as they are.
            b = b.config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
    return b.getOrCreate()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--master", help="Spark master (local[2], spark://host:7077); spark-submit's by default")
    ap.add_argument("--out", required=True, help="output directory (messages/ and errors/ go in it)")
    ap.add_argument("--batch-size", type=int, default=1024, help="items per Arrow batch")
    ap.add_argument("paths", nargs="+", help="PST/OST files, or directories holding them")
    a = ap.parse_args(argv)
    files = input_files(a.paths)
    if not files:
        print("spark_archive: no PST or OST file found", file=sys.stderr)
        return 2
    spark = session(a.master)
    try:
        archive(spark, files, a.out, a.batch_size)
        errors = spark.read.parquet(os.path.join(a.out, "errors")).count()
        items = spark.read.parquet(os.path.join(a.out, "messages")).count()
        print(f"{len(files)} files: {items} items, {errors} errors -> {a.out}")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
