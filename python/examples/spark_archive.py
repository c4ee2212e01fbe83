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

A damaged or foreign file is an ``errors`` row, never a failed job. The
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

# The columns a row carries besides the message table's: set on the rows
# of errors, null on the rows of items.
ERROR_FIELDS = [
    pa.field("_lost", pa.string()),
    pa.field("_folder", pa.string()),
    pa.field("_item", pa.int64()),
    pa.field("_error", pa.string()),
    pa.field("_message", pa.string()),
]

ERROR_COLUMNS = {
    "_lost": "lost",
    "_folder": "folder",
    "_item": "item",
    "_error": "error",
    "_message": "message",
}


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


def row_schema() -> pa.Schema:
    """The message table's columns, every one nullable, then the error
    columns: the one schema `mapInArrow` gives both kinds of row."""
    import pstkit

    fields = [f.with_nullable(True) for f in pstkit.messages_schema()]
    return pa.schema(fields + ERROR_FIELDS)


def error_batch(schema: pa.Schema, rows: list[dict]) -> pa.RecordBatch:
    cols = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.RecordBatch.from_pydict(cols, schema=schema)


def read_files(batches: Iterator[pa.RecordBatch], batch_size: int) -> Iterator[pa.RecordBatch]:
    """The task: each path of the input batches read into rows."""
    import pstkit

    schema = row_schema()
    nulls = [pa.nulls(0, f.type) for f in ERROR_FIELDS]
    for paths in batches:
        for path in paths.column("path").to_pylist():
            errors = []
            try:
                with pstkit.open(path) as f:
                    # One reading thread: Spark runs a task per core already.
                    reader = f.record_batches(batch_size=batch_size, threads=1)
                    for b in reader:
                        n = b.num_rows
                        extra = [pa.nulls(n, a.type) for a in nulls]
                        yield pa.RecordBatch.from_arrays(
                            b.columns + extra, schema=schema
                        )
                    lost = f.lost
            except pstkit.Error as e:
                lost = []
                errors.append(
                    {"_lost": "file", "_error": type(e).__name__, "_message": str(e)}
                )
            for e in lost:
                errors.append(
                    {
                        "_lost": e.lost,
                        "_folder": e.folder,
                        "_item": e.item,
                        "_error": type(e).__name__,
                        "_message": str(e),
                    }
                )
            if errors:
                for r in errors:
                    r["source"] = path
                yield error_batch(schema, errors)


def archive(spark, files: list[str], out: str, batch_size: int = 1024) -> None:
    """Reads `files` on the cluster of `spark` into `out`/messages and
    `out`/errors."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    if __name__ != "__main__":
        # Imported (by a test, a notebook): the task functions go to the
        # workers by value, as they would from a script.
        from pyspark import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    schema = row_schema()
    paths = spark.createDataFrame([(p,) for p in files], "path string")
    # One file per partition, so one task per file: a large file does not
    # hold back the small ones queued behind it in the same task.
    paths = paths.repartition(max(len(files), 1), "path")
    rows = paths.mapInArrow(
        lambda it: read_files(it, batch_size), from_arrow_schema(schema)
    )
    # Both outputs come from one read of each file: the rows are kept on
    # the executors' disks between the two writes.
    rows = rows.persist(StorageLevel.DISK_ONLY)
    try:
        items = rows.where(F.col("_lost").isNull()).drop(*ERROR_COLUMNS)
        items.write.mode("overwrite").partitionBy("source").parquet(
            os.path.join(out, "messages")
        )
        errors = rows.where(F.col("_lost").isNotNull()).select(
            F.col("source").alias("file"),
            *[F.col(c).alias(n) for c, n in ERROR_COLUMNS.items()],
        )
        errors.coalesce(1).write.mode("overwrite").parquet(os.path.join(out, "errors"))
    finally:
        rows.unpersist()


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
