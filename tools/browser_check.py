"""Drive each app from a real browser on another origin: `make test-browser`.

A RealWorld frontend is a page on one origin calling the API on another, so what matters is what
a browser allows: the CORS preflight before every JSON or authenticated request, readable error
bodies, and origins taken from CORS_ALLOWED_ORIGINS. Each app is started with exactly one allowed
origin; headless Chromium loads tools/browser/frontend.html from that origin (it registers, logs
in, writes, favorites, comments and deletes), then from an origin that is not allowed, where every
call must be blocked by the browser.

Needs Chromium (Debian package `chromium`); nothing is downloaded at run time.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.servers import IMPLEMENTATIONS, LiveServer, free_port

PAGE_DIR = Path(__file__).resolve().parent / "browser"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=30000", "--dump-dom",
)  # fmt: skip

EXPECTED = [
    "register 201",
    "login 200",
    "current-user 200 true",
    "update-user 200 from a browser",
    "create-article 201",
    "update-article 200",
    "favorite 200 1",
    "comment 201",
    "list 200 1",
    "delete-comment 204",
    "unfavorite 200",
    "delete-article 204",
    'anonymous-user 401 {"errors":{"token":["is missing"]}}',
    'invalid-article 422 {"errors":{"description":["can\'t be blank"],"body":["can\'t be blank"],'
    '"title":["can\'t be blank"]}}',
    "done",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_page(port: int) -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(PAGE_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browse(chromium: str, url: str) -> list[str]:
    """The lines the page logged, after its script ran."""
    with tempfile.TemporaryDirectory() as profile:
        completed = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    match = re.search(r'<pre id="log">(.*?)</pre>', completed.stdout, re.DOTALL)
    if not match:
        return [f"no log in the page (chromium exit {completed.returncode})"]
    return html.unescape(match.group(1)).splitlines()


def normalised(lines: list[str]) -> list[str]:
    """Error keys may come in any order; compare the JSON of the invalid-article line sorted."""
    result = []
    for line in lines:
        if line.startswith("invalid-article 422 "):
            body = json.loads(line.removeprefix("invalid-article 422 "))
            line = "invalid-article 422 " + json.dumps(body, sort_keys=True)
        result.append(line)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default=",".join(IMPLEMENTATIONS))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("Chromium is needed: apt-get install chromium", file=sys.stderr)
        return 2

    allowed_port, other_port = free_port(), free_port()
    allowed_origin = f"http://127.0.0.1:{allowed_port}"
    pages = [serve_page(allowed_port), serve_page(other_port)]
    failures = 0
    try:
        for name in args.impl.split(","):
            server = LiveServer(name, extra_env={"CORS_ALLOWED_ORIGINS": allowed_origin})
            server.start()
            try:
                api = f"{server.root_url}/api"
                seen = browse(chromium, f"{allowed_origin}/frontend.html?api={api}")
                ok = normalised(seen) == normalised(EXPECTED)
                print(f"[{name}] page on an allowed origin: {'ok' if ok else 'FAILED'}")
                if not ok:
                    failures += 1
                    for expected, got in zip(
                        EXPECTED, [*seen, *[""] * len(EXPECTED)], strict=False
                    ):
                        marker = "  " if expected == got else "!!"
                        print(f"    {marker} expected {expected!r}\n       got      {got!r}")
                blocked = browse(chromium, f"http://127.0.0.1:{other_port}/frontend.html?api={api}")
                refused = bool(blocked) and blocked[0].startswith("error TypeError")
                print(
                    f"[{name}] page on another origin is blocked: {'ok' if refused else 'FAILED'}"
                )
                failures += not refused
                if not refused:
                    print(f"    got {blocked}")
            finally:
                server.stop()
    finally:
        for page in pages:
            page.shutdown()
    checks = 2 * len(args.impl.split(","))
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
