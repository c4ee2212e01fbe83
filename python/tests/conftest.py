"""Samples and the `pstkit` command, found as the Rust tests find them
(fixtures/src/real.rs): the repository's fixtures/real/, then the shared
directory beside the clone (``$PSTKIT_SHARED/fixtures/real``). What is
missing skips the test with a line saying so, or fails it under
``PSTKIT_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOT_SAMPLES = {"PROVENANCE.tsv", "README.md"}
GENERATED = [REPO / "fixtures" / "mailbox.pst", REPO / "fixtures" / "mailbox-4k.ost"]


def require_all() -> bool:
    return os.environ.get("PSTKIT_REQUIRE_ALL", "") not in ("", "0")


def lack(needs: str, module: bool = False) -> None:
    """Skips the running test (with `module`, the whole module) for want of
    `needs`, or fails it under PSTKIT_REQUIRE_ALL."""
    if require_all():
        pytest.fail(f"needs {needs} (PSTKIT_REQUIRE_ALL is set: a skip is a failure)", pytrace=False)
    pytest.skip(f"needs {needs}", allow_module_level=module)


def repo_dir() -> Path:
    return REPO / "fixtures" / "real"


def shared_dir() -> Path:
    base = os.environ.get("PSTKIT_SHARED")
    root = Path(base) if base else REPO.parent / "shared"
    return root / "fixtures" / "real"


def _names_in(d: Path) -> list[str]:
    if not d.is_dir():
        return []
    return [
        p.name
        for p in d.iterdir()
        if p.is_file() and p.name not in NOT_SAMPLES and not p.name.startswith("LICENSE")
    ]


def all_samples() -> dict[str, Path]:
    """Every sample, each name once (the repository's copy preferred)."""
    out = {n: shared_dir() / n for n in _names_in(shared_dir())}
    out.update({n: repo_dir() / n for n in _names_in(repo_dir())})
    return dict(sorted(out.items()))


def min_count(committed: int, with_shared: int) -> int:
    return with_shared if shared_dir().is_dir() else committed


def sample_params() -> list:
    """The samples and the generated fixtures, as pytest parameters."""
    files = [pytest.param(p, id=p.name) for p in GENERATED]
    files += [pytest.param(p, id=n) for n, p in all_samples().items()]
    return files


@pytest.fixture(scope="session")
def pstkit_bin() -> Path:
    """The `pstkit` command: `$PSTKIT_BIN` when it is there, else built by
    cargo where cargo puts it."""
    explicit = os.environ.get("PSTKIT_BIN")
    if explicit and Path(explicit).is_file():
        return Path(explicit)
    subprocess.run(["cargo", "build", "-q", "-p", "pstkit-cli"], cwd=REPO, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "-q", "--format-version", "1", "--no-deps"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(json.loads(meta.stdout)["target_directory"]) / "debug" / "pstkit"


def ls_items(pstkit_bin: Path, path: Path) -> list[tuple[int, str, str | None]] | None:
    """(nid, folder, subject) of every item `pstkit ls --json` lists, in its
    order; None when it cannot read the file at all."""
    r = subprocess.run(
        [str(pstkit_bin), "ls", "--json", str(path)], capture_output=True, text=True
    )
    rows = [json.loads(line) for line in r.stdout.splitlines() if line]
    if r.returncode not in (0, 1) or (r.returncode != 0 and not rows):
        return None
    return [(v["id"], v["folder"], v["subject"]) for v in rows if v["type"] == "item"]
