#!/usr/bin/env python3
"""Compare newsdigest's feed reader with Python's feedparser over feedparser's own test suite.

feedparser's test suite (BSD-2) ships in its source distribution. It is not a dependency of
newsdigest and not part of CI; run this by hand after changing the feed reader:

    python3 -m venv /tmp/fp && /tmp/fp/bin/pip install feedparser==6.0.12
    pip download --no-deps --no-binary :all: feedparser==6.0.12 -d /tmp/fp
    tar xzf /tmp/fp/feedparser-6.0.12.tar.gz -C /tmp/fp
    cargo build --release
    /tmp/fp/bin/python scripts/feed_conformance.py /tmp/fp/feedparser-6.0.12/tests

For every feed file it runs `newsdigest feed FILE --json` and `feedparser.parse(FILE)` and
compares (files whose path holds `http` are served over HTTP on 127.0.0.1:8097 with the
`Header:` lines they declare, and both read the URL, as feedparser's own runner does), on the files where feedparser finds entries: the number of items (entries with a
title, a web link or text; newsdigest leaves out an entry with none of them, and feedparser's
link may be an Atom id such as `tag:…` or `1`, which leads nowhere), and for the first
such entry its title, link and date; and the feed's title. Titles are
compared as text (feedparser's markup removed and entities decoded, white space folded on
both sides; newsdigest's titles are plain text already), links after the
canonicalisation newsdigest applies (lower-case scheme and host, no fragment, no tracking
parameters). It prints the figures and writes every difference, by kind, to
`--report` (default `target/feed-conformance.txt`).
"""

import argparse
import calendar
import html
import json
import os
import re
import http.server
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from datetime import datetime

import feedparser

TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$", re.I)


def text(value):
    """Markup removed, entities decoded, white space folded."""
    if value is None:
        return ""
    value = re.sub(r"<[^>]*>", " ", value)
    value = html.unescape(value)
    return " ".join(value.split())


def plain(value):
    """newsdigest's text is plain already: white space folded only."""
    return " ".join((value or "").split())


def canonical(url):
    if not url:
        return None
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not TRACKING.match(pair.split("=")[0])
    )
    return urllib.parse.urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, "")
    )


# feedparser's runner serves the suite here; the tests' expected URLs name this address.
HOST, PORT = "127.0.0.1", 8097


class SuiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a test feed with the `Header:` lines written in its comment, as feedparser's
    runner does (status, Content-Type, Content-Location, ETag, Location)."""

    headers_re = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.MULTILINE)

    def send_head(self):
        path = self.translate_path(self.path)
        try:
            with open(path, "rb") as f:
                blob = f.read()
        except OSError:
            self.send_error(404)
            return None
        headers = {
            k.decode("utf-8"): v.decode("utf-8").strip() for k, v in self.headers_re.findall(blob)
        }
        status = 200
        if self.headers.get("if-none-match") == headers.get("ETag", "nomatch"):
            status = 304
        self.send_response(int(headers.pop("Status", status)))
        self.send_header("Content-type", headers.pop("Content-type", self.guess_type(path)))
        self.send_header("Content-Length", str(len(blob)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        return __import__("io").BytesIO(blob)

    def log_message(self, *args):
        pass


def serve(suite):
    """Serves the suite's parent folder, so a test is at /tests/<path>, in a thread."""
    root = os.path.dirname(os.path.abspath(suite))
    handler = lambda *a, **k: SuiteHandler(*a, directory=root, **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer((HOST, PORT), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def ours(binary, config, path):
    try:
        out = subprocess.run(
            [binary, "--config", config, "feed", "--json", path],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    if out.returncode == 2:
        return {"error": out.stderr.decode("utf-8", "replace").strip()}
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"error": "no JSON: " + out.stderr.decode("utf-8", "replace").strip()}


SKIP_UNLESS = re.compile(rb"SkipUnless:\s*(.*?)\n")


def runnable(path):
    """False for a test whose `SkipUnless:` condition fails here (a codec this Python lacks),
    as feedparser's runner skips it: feedparser's answer would be no answer at all."""
    with open(path, "rb") as f:
        found = SKIP_UNLESS.search(f.read())
    if not found:
        return True
    try:
        return bool(eval(found.group(1).decode("utf-8"), {"feedparser": feedparser}))  # noqa: S307
    except Exception:
        return False


def has_story(entry):
    body = " ".join(
        [entry.get("summary", "")] + [content.get("value", "") for content in entry.get("content", [])]
    )
    return bool(text(entry.get("title")) or canonical(entry.get("link")) or text(body))


def epoch(struct):
    return calendar.timegm(struct) if struct else None


def our_epoch(value):
    if not value:
        return None
    return int(datetime.fromisoformat(value).timestamp())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suite", help="feedparser's tests/ folder")
    parser.add_argument("--bin", default="target/release/newsdigest")
    parser.add_argument("--report", default="target/feed-conformance.txt")
    parser.add_argument(
        "--files",
        action="store_true",
        help="read the http tests as files too (no server; how the issue's first figures were taken)",
    )
    args = parser.parse_args()

    files = []
    for root, _, names in os.walk(args.suite):
        for name in names:
            if name.endswith((".xml", ".rdf", ".json")):
                files.append(os.path.join(root, name))
    files.sort()

    if not args.files:
        serve(args.suite)
    # The tests served on loopback are trusted: a config that lets fetches reach 127.0.0.1.
    workdir = tempfile.mkdtemp(prefix="feed-conformance-")
    config = os.path.join(workdir, "config.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f'[fetch]\nallow_private = ["{HOST}"]\n')
    suite_name = os.path.basename(os.path.normpath(args.suite))

    counts = {kind: [0, 0] for kind in ("items", "title", "feed title", "link", "date")}
    differences = {kind: [] for kind in counts}
    errors = []
    not_run = 0
    for path in files:
        rel = os.path.relpath(path, args.suite)
        if not runnable(path):
            not_run += 1
            continue
        if "http" in rel and not args.files:
            path = f"http://{HOST}:{PORT}/{suite_name}/{rel}"
        expected = feedparser.parse(path)
        got = ours(args.bin, config, path)
        if "error" in got:
            if expected.entries:
                errors.append(f"{rel}: {got['error']}")
            got = {"title": None, "items": [], "skipped": []}
        feed_title = expected.feed.get("title")
        if feed_title:
            counts["feed title"][1] += 1
            if text(feed_title) == plain(got.get("title")):
                counts["feed title"][0] += 1
            else:
                differences["feed title"].append(f"{rel}: {text(feed_title)!r} vs {got.get('title')!r}")
        if not expected.entries:
            continue
        items = got.get("items", [])
        # Entries with something to show: a title, a web link or text. An entry with none of
        # them is left out by newsdigest on purpose (nothing to put in a digest).
        stories = [entry for entry in expected.entries if has_story(entry)]
        if stories:
            counts["items"][1] += 1
            if len(items) == len(stories):
                counts["items"][0] += 1
            else:
                skipped = "; ".join(f"{s['item']!r}: {s['reason']}" for s in got.get("skipped", []))
                differences["items"].append(
                    f"{rel}: {len(items)} vs {len(stories)} {skipped}".rstrip()
                )
        if not stories:
            continue
        # The first entry newsdigest would show (one with a title, a link or text).
        first = stories[0]
        mine = items[0] if items else {}
        if first.get("title"):
            counts["title"][1] += 1
            if text(first.get("title")) == plain(mine.get("title")):
                counts["title"][0] += 1
            else:
                differences["title"].append(f"{rel}: {text(first.get('title'))!r} vs {mine.get('title')!r}")
        if canonical(first.get("link")):
            counts["link"][1] += 1
            if canonical(first.get("link")) == mine.get("url"):
                counts["link"][0] += 1
            else:
                differences["link"].append(f"{rel}: {canonical(first.get('link'))!r} vs {mine.get('url')!r}")
        date = epoch(first.get("published_parsed") or first.get("updated_parsed"))
        if date is not None:
            counts["date"][1] += 1
            if date == our_epoch(mine.get("published")):
                counts["date"][0] += 1
            else:
                differences["date"].append(f"{rel}: {date} vs {mine.get('published')!r}")

    print(
        f"{len(files)} feed files ({not_run} not run: their SkipUnless fails here); "
        f"feedparser {feedparser.__version__}"
    )
    for kind, (agree, total) in counts.items():
        share = 100.0 * agree / total if total else 100.0
        print(f"  {kind:<11} {agree:>5} of {total:<5} agree ({share:.1f}%)")
    print(f"  errors on files with entries: {len(errors)}")
    os.makedirs(os.path.dirname(args.report) or ".", exist_ok=True)
    with open(args.report, "w", encoding="utf-8") as report:
        for kind, rows in differences.items():
            report.write(f"## {kind}: {len(rows)}\n")
            report.writelines(row + "\n" for row in rows)
        report.write(f"## errors: {len(errors)}\n")
        report.writelines(row + "\n" for row in errors)
    print(f"differences: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
