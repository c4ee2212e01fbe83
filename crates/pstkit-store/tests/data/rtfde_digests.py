#!/usr/bin/env python3
"""Records what RTFDE recovers from the real samples' encapsulated RTF bodies.

RTFDE (https://pypi.org/project/RTFDE/, tested with 0.1.2.2) is an
independent implementation of [MS-OXRTFEX]; tests/rtfex_oracle.rs compares
pstkit's recovery with the digests this writes. Regenerate with:

    pip install RTFDE==0.1.2.2
    RTFEX_DUMP=/tmp/rtfex cargo test -p pstkit-store --test rtfex_oracle -- --ignored dump
    python3 crates/pstkit-store/tests/data/rtfde_digests.py /tmp/rtfex \
        > crates/pstkit-store/tests/data/rtfde-digests.tsv
"""
import logging
import os
import sys
import zlib

from RTFDE.deencapsulate import DeEncapsulator

logging.disable(logging.CRITICAL)


def normalise(s):
    # As normalise() in rtfex_oracle.rs: line ends, and the \pntext bullets
    # and tabs that RTFDE keeps and MS-OXRTFEX readers drop.
    return s.replace("\r\n", "\n").replace("*\t", "").replace("\t", "").rstrip()


def main(dump):
    print("# file\tnid\tkind\tlength\tcrc32 (of the normalised UTF-8), from RTFDE")
    for name in sorted(os.listdir(dump)):
        file, nid, rest = name.split("\t")
        with open(os.path.join(dump, name), "rb") as f:
            d = DeEncapsulator(f.read())
        d.deencapsulate()
        body = d.html if d.content_type == "html" else d.text
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        data = normalise(body).encode("utf-8")
        kind = "html" if d.content_type == "html" else "text"
        print(f"{file}\t{nid}\t{kind}\t{len(data)}\t{zlib.crc32(data):08x}")


if __name__ == "__main__":
    main(sys.argv[1])
