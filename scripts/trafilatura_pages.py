#!/usr/bin/env python3
"""trafilatura's in-process extraction rate on a folder of HTML pages, for
`cargo bench --bench extract` (which runs it in the same command as newsdigest's own).

    python3 scripts/trafilatura_pages.py DIR [--rounds 3]

Reads every `*.html` file of DIR into memory, then times `trafilatura.extract` over all of
them, best of the rounds, and prints one line: `trafilatura pages=N seconds=S pages_per_s=R`.
trafilatura is not a dependency of newsdigest: install it in a throwaway venv
(`python3 -m venv /tmp/trafilatura && /tmp/trafilatura/bin/pip install trafilatura`).
"""
import argparse
import pathlib
import time

import trafilatura


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    pages = [p.read_bytes() for p in sorted(a.dir.glob("*.html"))]
    best = None
    for _ in range(a.rounds):
        started = time.perf_counter()
        for page in pages:
            trafilatura.extract(page)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print(f"trafilatura pages={len(pages)} seconds={best:.4f} pages_per_s={len(pages) / best:.1f}")


if __name__ == "__main__":
    main()
