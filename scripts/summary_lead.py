#!/usr/bin/env python3
"""Summary lead ROUGE-1 on the dev set, against the reference as written and against the
reference with its headings left out (standard library only).

    cargo build --release
    python3 scripts/summary_lead.py ../shared/devset [--input html|text] [--bin PATH] [-v]

The dev set's scorer (`score.py --lead-from summary`) compares the first three sentences of
`newsdigest article FILE --json --sentences 3`'s summary with the first three sentences of
the true body. The true body keeps the page's headings, kickers, bylines and datelines as
lines of their own ("GIRLS BASKETBALL", "Staff Reports", "BAAR, SWITZERLAND"), and the
scorer counts each as a sentence; a summary never holds a heading (it would run into the next
sentence). This script prints both figures: the scorer's, and the same ROUGE-1 with the
reference's heading lines left out by the rule `summarize::lead` applies to the article
(see `headings_out`). It imports the scorer's own sentence splitter and
token overlap, so the first figure equals `score.py`'s. `-v` lists the pages where the two
differ.
"""

import argparse
import concurrent.futures as cf
import gzip
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

def ends_like_sentence(line):
    """`text::ends_like_sentence`: a stop, a colon or semicolon, before closing quotes."""
    return line.strip().rstrip("\"'”’)]»*」』").endswith(
        (".", "!", "?", "…", ":", ";", "。", "！", "？"))


def headings_out(lines):
    """The lines `summarize::lead` reads: before the first sentence, lines of fewer than 6
    words with no sentence ending are skipped; after it, such lines of fewer than 12."""
    kept = []
    for line in lines:
        limit = 12 if kept else 6
        if len(line.split()) < limit and not ends_like_sentence(line):
            continue
        kept.append(line)
    return kept or lines


def page_file(root, page_id, kind, tmp):
    if kind == "text":
        return root / "textdumps" / f"{page_id}.txt"
    plain = root / "html" / f"{page_id}.html"
    if plain.exists():
        return plain
    out = Path(tmp) / f"{page_id}.html"
    out.write_bytes(gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--input", choices=["html", "text"], default="html")
    ap.add_argument("--bin", default="target/release/newsdigest")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    sys.path.insert(0, str(a.devset.resolve()))
    import score  # the dev set's scorer: its splitter and token overlap

    rows = [json.loads(line) for line in (a.devset / "truth.jsonl").open(encoding="utf-8")]

    def one(row, tmp):
        body = row["body"]
        lines = [p for p in (body.split("\n") if isinstance(body, str) else body) if p.strip()]
        f = page_file(a.devset, row["id"], a.input, tmp)
        run = subprocess.run(
            [a.bin, "article", str(f), "--json", "--sentences", "3"],
            capture_output=True, text=True, timeout=10,
        )
        summary = json.loads(run.stdout).get("summary", "") if run.returncode == 0 else ""
        cand = " ".join(score.split_sentences(summary)[:3])
        as_written = score.prf(cand, score.lead("\n".join(lines)))[2]
        without = score.prf(cand, score.lead("\n".join(headings_out(lines))))[2]
        return row["id"][:12], as_written, without

    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor() as pool:
        results = list(pool.map(lambda r: one(r, tmp), rows))
    if a.v:
        for pid, x, y in results:
            if abs(x - y) > 0.0005:
                print(f"{pid}  {x:.3f} -> {y:.3f}")
    n = len(results)
    print(f"pages={n} input={a.input}")
    print(f"summary lead ROUGE-1, reference as written:     {sum(r[1] for r in results) / n:.3f}")
    print(f"summary lead ROUGE-1, reference headings out:   {sum(r[2] for r in results) / n:.3f}")


if __name__ == "__main__":
    main()
