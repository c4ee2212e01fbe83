"""The package lists the items `pstkit ls --json` lists, for every sample."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import pstkit
from conftest import GENERATED, all_samples, lack, ls_items, min_count, sample_params, shared_dir


def test_every_sample_is_there() -> None:
    assert len(all_samples()) >= min_count(20, 30)
    for p in GENERATED:
        assert p.is_file(), p
    if not shared_dir().is_dir():
        lack(f"the shared samples (not found at {shared_dir()}; the committed ones only are checked)")


@pytest.mark.parametrize("path", sample_params())
def test_messages_are_what_ls_lists(pstkit_bin: Path, path: Path) -> None:
    expected = ls_items(pstkit_bin, path)
    if expected is None:
        # ls cannot read it: the package says why with an exception.
        with pytest.raises(pstkit.Error):
            pstkit.open(path)
        return
    with pstkit.open(path) as f:
        it = f.messages()
        got = [(m.nid, m.folder, m.subject) for m in it]
        assert got == expected
        # Every folder ls lists, with its item count.
        listed = {}
        for nid, folder, _ in expected:
            listed[folder] = listed.get(folder, 0) + 1
        counted = {d.path: d.items for d in f.folders() if d.items}
        assert {k: v for k, v in counted.items() if k in listed} == listed


@pytest.mark.parametrize("path", sample_params())
def test_record_batches_are_what_ls_lists(pstkit_bin: Path, path: Path) -> None:
    """The same items as `ls --json`, read in file order rather than folder
    by folder: compared as sets, each item once."""
    import pyarrow as pa

    expected = ls_items(pstkit_bin, path)
    if expected is None:
        with pytest.raises(pstkit.Error):
            pstkit.open(path)
        return
    with pstkit.open(path) as f:
        reader = f.record_batches(batch_size=5)
        assert isinstance(reader, pa.RecordBatchReader)
        assert reader.schema == pstkit.messages_schema()
        t = reader.read_all()
        got = list(zip(*(t.column(c).to_pylist() for c in ("nid", "folder", "subject"))))
        assert len(got) == len(set(got))
        assert sorted(got, key=repr) == sorted(expected, key=repr)
        assert set(t.column("source").to_pylist()) <= {str(path)}
        # What ls reports as damaged (on stderr) is what `lost` names.
        lost_items = {e.item for e in f.lost if e.lost == "item"}
        assert not lost_items & {nid for nid, _, _ in got}


def test_batches_of_the_generated_mailbox() -> None:
    import pyarrow as pa

    with pstkit.open(GENERATED[0]) as f:
        batches = list(f.record_batches(batch_size=7, source="box"))
        assert [b.num_rows for b in batches] == [7, 7, 7, 7, 2]
        # The same rows, in the same order, whatever the reading threads.
        for threads in (1, 3):
            again = f.record_batches(batch_size=7, source="box", threads=threads).read_all()
            assert again.equals(pa.Table.from_batches(batches))
        t = pa.Table.from_batches(batches)
        assert set(t.column("source").to_pylist()) == {"box"}
        by_nid = {m.nid: m for m in f.messages()}
        for row in t.to_pylist():
            m = by_nid[row["nid"]]
            assert row["subject"] == m.subject and row["sender_name"] == m.sender_name
            assert row["sent"] == m.sent and row["body_text"] == m.body_text
            assert row["body_html"] == m.body_html
            assert row["to"] == [r.address for r in m.recipients if r.kind == "to"]
            assert row["attachment_count"] == len(m.attachments)
        a = f.attachment_batches(with_data=True).read_all()
        # Attachments of attached messages are rows too, below their path.
        top = [r for r in a.to_pylist() if "/" not in r["path"]]
        assert len(top) == sum(row["attachment_count"] for row in t.to_pylist())
        for row in a.to_pylist():
            if row["data"] is not None:
                assert hashlib.sha256(row["data"]).hexdigest() == row["sha256"]


def test_generated_mailbox_items_read_whole() -> None:
    with pstkit.open(GENERATED[0]) as f:
        info = f.info()
        assert info["kind"] == "PST" and info["store"]["items"] == 30
        assert f.check()["clean"]
        msgs = list(f.messages())
        assert len(msgs) == 30
        mail = [m for m in msgs if m.kind == "mail"]
        assert all(m.sender_address and "@" in m.sender_address for m in mail)
        assert all(m.recipients for m in mail)
        assert all(m.sent is not None and m.sent.tzinfo is not None for m in mail)
        assert all(m.body_text for m in mail)
        with_files = [a for m in mail for a in m.attachments if not a.is_embedded_message]
        assert len(with_files) >= 10
        for a in with_files:
            data = a.data()
            assert data and len(data) > 0 and a.filename
        embedded = [a for m in mail for a in m.attachments if a.is_embedded_message]
        assert embedded and all(a.embedded().subject for a in embedded)
        inbox = list(f.messages("Top of Personal Folders/Inbox"))
        assert len(inbox) == 9 and {m.folder for m in inbox} == {"Top of Personal Folders/Inbox"}
        with pytest.raises(KeyError):
            f.messages("No such folder")
    with pytest.raises(ValueError):
        f.info()


def test_convert_and_export(tmp_path: Path) -> None:
    with pstkit.open(GENERATED[0]) as f:
        s = f.convert(tmp_path / "copy.ost", ost=True)
        assert s["items"] == 30 and s["verified"] >= 30 and not s["skipped"]
        with pytest.raises(pstkit.OutputError):
            f.convert(tmp_path / "copy.ost", ost=True)
        p = f.export(tmp_path / "pq", format="parquet", with_attachment_data=True)
        assert p["items_exported"] == 30 and p["complete"] and len(p["files"]) == 2
        import pyarrow.parquet as pq

        table = pq.read_table(tmp_path / "pq" / "messages.parquet")
        batches = f.record_batches().read_all()
        assert table.column("nid").to_pylist() == batches.column("nid").to_pylist()
        assert table.column("subject").to_pylist() == batches.column("subject").to_pylist()
        atts = pq.read_table(tmp_path / "pq" / "attachments.parquet")
        assert atts.num_rows == p["attachments"] and "data" in atts.column_names
        e = f.export(tmp_path / "eml", format="mbox")
        assert e["items_exported"] == 30 and e["complete"]
        with pytest.raises(ValueError):
            f.export(tmp_path / "x", format="pdf")
        f.convert(tmp_path / "bound.ost", ost=True, bind_to=("mx.example", "a@example.com"))
        with pytest.raises(ValueError):
            f.convert(tmp_path / "x.pst", bind_to=("mx.example", "a@example.com"))
        assert f.binding() is None
    with pstkit.open(tmp_path / "bound.ost") as b:
        bound = b.binding()
        assert bound is not None
        assert (bound["server"], bound["mailbox"], bound["profile"]) == (
            "mx.example",
            "a@example.com",
            None,
        )
    with pstkit.open(tmp_path / "copy.ost") as c:
        assert c.info()["kind"] == "OST"
        assert sorted(m.subject or "" for m in c.messages()) == sorted(
            m.subject or "" for m in pstkit.open(GENERATED[0]).messages()
        )


def test_duckdb_queries_the_batches() -> None:
    """A batch reader is a table DuckDB scans as it is handed over."""
    try:
        import duckdb
    except ImportError:
        lack("duckdb (pip install duckdb)")
    with pstkit.open(GENERATED[0]) as f:
        reader = f.record_batches(batch_size=4)
        rows = duckdb.sql(
            "select folder, count(*) from reader group by folder order by folder"
        ).fetchall()
        by_folder: dict[str, int] = {}
        for m in f.messages():
            by_folder[m.folder] = by_folder.get(m.folder, 0) + 1
        assert rows == sorted(by_folder.items())
