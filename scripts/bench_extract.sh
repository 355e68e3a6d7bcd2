#!/bin/sh
# Extraction throughput against trafilatura, in one command:
#
#     scripts/bench_extract.sh [VENV]
#
# Makes a throwaway venv with trafilatura (VENV, default /tmp/newsdigest-trafilatura) unless it
# has one already, then runs `cargo bench --bench extract` with it: trafilatura's in-process
# pages a second on the dev set's HTML, and newsdigest's on HTML and text dumps, on one core
# and on every core. trafilatura is not a dependency of newsdigest.
set -eu
venv="${1:-/tmp/newsdigest-trafilatura}"
if ! "$venv/bin/python" -c "import trafilatura" 2>/dev/null; then
    python3 -m venv "$venv"
    # lxml 6 moved the cleaner trafilatura imports into a package of its own.
    "$venv/bin/pip" install --quiet trafilatura lxml_html_clean
fi
cd "$(dirname "$0")/.."
exec cargo bench --bench extract -- --python "$venv/bin/python"
