"""The Spark example on the real samples and a damaged file, with one and
two workers: its messages dataset holds exactly what `ls --json` lists of
the readable files, its errors dataset names the files that are not."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from conftest import GENERATED, REPO, all_samples, lack, ls_items

if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
    lack("pyspark (pip install pyspark pandas) and java (Debian package openjdk-17-jre-headless)", module=True)

sys.path.insert(0, str(REPO / "python" / "examples"))
import spark_archive  # noqa: E402


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The samples, the generated mailbox, and a copy of it cut short."""
    samples = all_samples()
    if not samples:
        lack("the real samples")
    d = tmp_path_factory.mktemp("inputs")
    cut = d / "cut-short.pst"
    cut.write_bytes(GENERATED[0].read_bytes()[:200_000])
    shutil.copy(GENERATED[0], d / "mailbox.pst")
    # A directory (its PST and OST files) and files named one by one.
    return [str(d)] + [str(p) for p in samples.values()]


@pytest.fixture(scope="module")
def expected(pstkit_bin: Path, inputs: list[str]) -> tuple[set, set]:
    items, unreadable = set(), set()
    for f in spark_archive.input_files(inputs):
        listed = ls_items(pstkit_bin, Path(f))
        if listed is None:
            unreadable.add(f)
        else:
            items |= {(f, nid, folder, subject) for nid, folder, subject in listed}
    return items, unreadable


@pytest.fixture(scope="module", params=["local[1]", "local[2]"])
def spark(request: pytest.FixtureRequest):
    s = spark_archive.session(request.param, app="pstkit test")
    yield s
    s.stop()


def test_archive(spark, inputs: list[str], expected: tuple[set, set], tmp_path: Path) -> None:
    items, unreadable = expected
    files = spark_archive.input_files(inputs)
    cut = next(f for f in files if f.endswith("cut-short.pst"))
    assert cut in unreadable and len(items) >= 400
    # One file a partition, so one task a file.
    sizes = spark_archive.file_frame(spark, files).rdd.glom().map(len).collect()
    assert sizes == [1] * len(files)
    spark_archive.archive(spark, files, str(tmp_path))
    rows = spark.read.parquet(str(tmp_path / "messages")).select(
        "source", "nid", "folder", "subject"
    )
    got = [tuple(r) for r in rows.collect()]
    assert len(got) == len(set(got))
    assert set(got) == items
    errors = spark.read.parquet(str(tmp_path / "errors")).collect()
    assert {e.file for e in errors if e.lost == "file"} == unreadable
    damaged = [e for e in errors if e.file == cut]
    assert [(e.lost, e.error) for e in damaged] == [("file", "DamagedError")]
    assert "truncated" in damaged[0].message
    # Item rows name an item of a file whose other items are in messages.
    readable = {s for s, _, _, _ in items}
    assert all(e.file in readable and e.item for e in errors if e.lost == "item")


def test_the_script_alone(tmp_path: Path) -> None:
    """As a user runs it, on a file with nothing lost: the errors dataset is
    there and empty."""
    import subprocess

    out = tmp_path / "table"
    r = subprocess.run(
        [sys.executable, str(REPO / "python" / "examples" / "spark_archive.py"),
         "--master", "local[1]", "--out", str(out), str(GENERATED[0])],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith(f"1 files: 30 items, 0 errors -> {out}")
    import pyarrow.parquet as pq

    assert pq.read_table(out / "errors").num_rows == 0
    assert pq.read_table(out / "messages").num_rows == 30
