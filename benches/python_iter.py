#!/usr/bin/env python3
"""Python iteration over every item's subject and sender: pstkit beside
pypff (PyPI libpff-python) and libratom where they are installed.

    python3 benches/python_iter.py FILE [--repeat N]

Prints one line per reader: items, seconds (best of N), items per second.
Each reader walks every folder and reads each item's subject and sender
name into Python strings; pstkit is timed both through `messages()` (one
object per item) and through `record_batches()` (the two columns of Arrow
batches turned into Python lists).
"""

from __future__ import annotations

import argparse
import sys
import time


def pstkit_messages(path: str) -> int:
    import pstkit

    n = 0
    with pstkit.open(path) as f:
        for m in f.messages():
            m.subject, m.sender_name
            n += 1
    return n


def pstkit_batches(path: str) -> int:
    import pstkit

    n = 0
    with pstkit.open(path) as f:
        for b in f.record_batches(batch_size=4096):
            b.column("subject").to_pylist(), b.column("sender_name").to_pylist()
            n += b.num_rows
    return n


def pypff_items(path: str) -> int:
    import pypff

    f = pypff.file()
    f.open(path)
    n = 0
    stack = [f.get_root_folder()]
    while stack:
        folder = stack.pop()
        for i in range(folder.get_number_of_sub_messages()):
            m = folder.get_sub_message(i)
            m.get_subject(), m.get_sender_name()
            n += 1
        for i in range(folder.get_number_of_sub_folders()):
            stack.append(folder.get_sub_folder(i))
    f.close()
    return n


def libratom_items(path: str) -> int:
    from pathlib import Path

    from libratom.lib.pff import PffArchive

    n = 0
    with PffArchive(Path(path)) as archive:
        for m in archive.messages():
            m.subject, m.sender_name
            n += 1
    return n


READERS = [
    ("pstkit messages()", pstkit_messages, "pstkit"),
    ("pstkit record_batches()", pstkit_batches, "pstkit"),
    ("pypff", pypff_items, "pypff"),
    ("libratom", libratom_items, "libratom"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    for name, read, module in READERS:
        try:
            __import__(module)
        except ImportError:
            print(f"{name}: not installed", file=sys.stderr)
            continue
        best, items = float("inf"), 0
        for _ in range(a.repeat):
            t = time.perf_counter()
            items = read(a.file)
            s = time.perf_counter() - t
            best = min(best, s)
        print(f"{name}: {items} items in {best:.2f} s: {items / best:,.0f} items/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
