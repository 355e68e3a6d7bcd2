#!/usr/bin/env python3
"""Title accuracy of text dumps on the dev set: the title newsdigest finds in a page's text
dump against the headline its HTML page declares (standard library only).

    cargo build --release
    python3 scripts/title_accuracy.py ../shared/devset [--bin target/release/newsdigest] [-v]

The reference for `textdumps/<id>.txt` is the headline its HTML page `html/<id>.html(.gz)`
declares: its `og:title` and its first `<h1>` of two words or more that is not the
masthead's (inside a link home, or named `site-title`, `logo`…), or its `<title>` when it has
neither, a trailing ` | Site` or ` - Site` part removed; a title is scored against
the one it matches best (a page's `<h1>` can be its site's name, and its `og:title` a
different wording for search engines). Pages with none are left out. Both sides are compared as
lower-cased `\\w+` tokens: a title counts as right when its token F1 with the reference is at
least 0.8 (a kicker or a site name more or less does not make a headline wrong); the mean F1
is printed too. `-v` lists every miss.
"""

import argparse
import concurrent.futures as cf
import gzip
import html
import json
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

TOKEN = re.compile(r"\w+")


class Headlines(HTMLParser):
    """Collects the first h1s, og:title and <title> of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.h1s, self.og, self.title = [], None, None
        self._in = None
        self._buf = []
        self._home_links = 0  # open <a href="/"> elements: an h1 inside is the masthead

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name") or "").lower() == "og:title":
            self.og = self.og or (attrs.get("content") or "").strip()
        if tag == "a" and (attrs.get("href") or "").strip() in ("/", "./", "/index.html"):
            self._home_links += 1
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
        masthead = self._home_links > 0 or any(
            name in names for name in ("site-title", "site-name", "sitename", "logo", "brand", "masthead")
        )
        if tag == "h1" and masthead:
            return
        if tag in ("h1", "title") and self._in is None:
            self._in, self._buf = tag, []

    def handle_endtag(self, tag):
        if tag == "a" and self._home_links > 0:
            self._home_links -= 1
        if tag == self._in:
            text = " ".join("".join(self._buf).split())
            if tag == "h1":
                self.h1s.append(text)
            elif self.title is None:
                self.title = text
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)


def reference(page: Path):
    """The page's declared headlines: its og:title and first h1 of two words or more (or
    its <title> when it has neither), each without a trailing site name."""
    parser = Headlines()
    if not page.exists():
        page = page.with_name(page.name + ".gz")
    if not page.exists():
        return []
    try:
        data = page.read_bytes()
        if page.suffix == ".gz":
            data = gzip.decompress(data)
        parser.feed(data.decode("utf-8", errors="replace"))
    except Exception:  # a broken page has no reference
        return []
    refs = [strip_site(parser.og)] if parser.og else []
    refs += [h1 for h1 in parser.h1s[:1] if len(TOKEN.findall(h1)) >= 2]
    if not refs and parser.title:
        refs.append(strip_site(parser.title))
    return [ref for ref in refs if ref]


def strip_site(title: str) -> str:
    """`Headline | Site` or `Headline - Site` → `Headline`."""
    title = html.unescape(title)
    return re.split(r"\s+[|\u2013\u2014-]\s+(?=[^|\u2013\u2014-]*$)", title)[0].strip()


def f1(a: str, b: str) -> float:
    x, y = Counter(TOKEN.findall(a.lower())), Counter(TOKEN.findall(b.lower()))
    common = sum((x & y).values())
    if not common:
        return 0.0
    p, r = common / sum(x.values()), common / sum(y.values())
    return 2 * p * r / (p + r)


def title_of(binary: str, dump: Path) -> str:
    out = subprocess.run([binary, "article", str(dump), "--json"], capture_output=True, text=True, timeout=30)
    try:
        return json.loads(out.stdout).get("title") or ""
    except json.JSONDecodeError:
        return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devset", type=Path)
    ap.add_argument("--bin", default="target/release/newsdigest")
    ap.add_argument("-v", action="store_true", help="list every miss")
    args = ap.parse_args()
    pairs = []
    for dump in sorted((args.devset / "textdumps").glob("*.txt")):
        ref = reference(args.devset / "html" / (dump.stem + ".html"))
        if ref:
            pairs.append((dump, ref))
    with cf.ThreadPoolExecutor(max_workers=4) as pool:
        titles = list(pool.map(lambda pair: title_of(args.bin, pair[0]), pairs))
    scores = [max(f1(title, ref) for ref in refs) for title, (_, refs) in zip(titles, pairs)]
    right = sum(score >= 0.8 for score in scores)
    if args.v:
        for score, title, (dump, ref) in zip(scores, titles, pairs):
            if score < 0.8:
                print(f"{dump.stem[:12]}  {score:.2f}  got {title!r}\n{'':16}want {ref!r}")
    mean = sum(scores) / len(scores) if scores else 0.0
    print(f"titles: pages={len(pairs)} right={right} accuracy={right / max(len(pairs), 1):.3f} mean_f1={mean:.3f}")


if __name__ == "__main__":
    sys.exit(main())
