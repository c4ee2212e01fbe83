"""Bad input raises the exception of its kind, never a crash."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import pstkit
from conftest import GENERATED, ls_items


def test_not_a_pst(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("not a mailbox\n" * 100)
    with pytest.raises(pstkit.NotAPstError) as e:
        pstkit.open(p)
    assert isinstance(e.value, pstkit.Error) and "!BDN" in str(e.value)


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(pstkit.NotAPstError, match="directory"):
        pstkit.open(tmp_path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(pstkit.IoError) as e:
        pstkit.open(tmp_path / "absent.pst")
    assert isinstance(e.value, OSError) and e.value.errno == errno.ENOENT


@pytest.mark.parametrize("keep", [40, 4096, 100_000])
def test_truncated_file(tmp_path: Path, keep: int) -> None:
    p = tmp_path / "cut.pst"
    p.write_bytes(GENERATED[0].read_bytes()[:keep])
    with pytest.raises(pstkit.DamagedError) as e:
        with pstkit.open(p) as f:
            list(f.messages(strict=True))
    d = e.value
    assert d.structure is not None and d.problem is not None
    if keep == 40:
        assert d.structure == "header" and d.offset == 0


def test_damaged_item_is_skipped_and_named(tmp_path: Path, pstkit_bin: Path) -> None:
    """A block overwritten in the middle of the file: the other items are
    listed (as `ls` lists them), the lost one is named with the damage's
    place, and `strict` raises it."""
    data = bytearray(GENERATED[0].read_bytes())
    data[0x50000 : 0x50000 + 2048] = b"\xaa" * 2048
    p = tmp_path / "damaged.pst"
    p.write_bytes(bytes(data))
    with pstkit.open(p) as f:
        it = f.messages()
        got = [(m.nid, m.folder, m.subject) for m in it]
        assert got == ls_items(pstkit_bin, p)
        assert len(got) == 29 and len(it.skipped) == 1
        lost = it.skipped[0]
        assert isinstance(lost, pstkit.DamagedError)
        assert lost.item not in {nid for nid, _, _ in got}
        # The block that holds the overwritten bytes: it starts before them.
        assert lost.structure == "data block" and lost.offset < 0x50800
        assert "CRC" in lost.problem
        with pytest.raises(pstkit.DamagedError):
            list(f.messages(strict=True))
        assert not f.check()["clean"]
        # The batches leave it out too, and `lost` names it the same way.
        t = f.record_batches().read_all()
        assert sorted(t.column("nid").to_pylist()) == sorted(nid for nid, _, _ in got)
        [gone] = f.lost
        assert isinstance(gone, pstkit.DamagedError)
        assert (gone.lost, gone.item, gone.folder) == ("item", lost.item, lost.folder)


def test_unreadable_file() -> None:
    # In a directory anyone may enter: the file's own mode is what refuses.
    d = Path(tempfile.mkdtemp(prefix="pstkit-unreadable-"))
    d.chmod(0o755)
    p = d / "locked.pst"
    p.write_bytes(GENERATED[0].read_bytes())
    p.chmod(0)
    # Root reads any file: the check runs as nobody, with the package
    # imported first.
    code = (
        "import os, sys, pstkit\n"
        "if os.geteuid() == 0:\n"
        "    os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        "    pstkit.open(sys.argv[1])\n"
        "except pstkit.IoError as e:\n"
        "    print(type(e).__name__, e.errno)\n"
    )
    try:
        r = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True)
    finally:
        shutil.rmtree(d)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["IoError", str(errno.EACCES)]


def test_a_closed_file_refuses() -> None:
    f = pstkit.open(GENERATED[0])
    it = f.messages()
    f.close()
    # What was made before the close still reads.
    assert len(list(it)) == 30
    with pytest.raises(ValueError, match="closed"):
        f.folders()
