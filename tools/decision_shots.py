"""Look at the decision page as a reader would: `make decision-shots`.

Rebuilds the compare site (so the page shows the code as it is), opens build/compare/decision.html
from the file system in headless Chromium at a desktop and a phone width, and saves full-page
screenshots as build/decision-<width>.png. The check fails when the page itself scrolls sideways
(a wide table must scroll inside its own box) or asks the network for anything.

Needs Chromium (Debian package `chromium`), as tools/browser_check.py does.
"""

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import Request, sync_playwright

from tools.compare import build_site
from tools.tables import BUILD

WIDTHS = {"desktop": 1280, "phone": 390}
FLAGS = ("--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")


def shoot(page_path: Path, out: Path, chromium: str) -> list[str]:
    """Screenshot the page at each width; the problems found, if any."""
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        for name, width in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()

            def off_disk(request: Request, name: str = name) -> None:
                if not request.url.startswith("file:"):
                    problems.append(f"{name}: the page requested {request.url}")

            page.on("request", off_disk)
            page.goto(page_path.as_uri())
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{name} ({width} px): the page scrolls sideways by {overflow} px")
            target = out / f"decision-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            print(f"decision-shots: {name} ({width} px) -> {target}")
            context.close()
        browser.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.decision_shots", description=__doc__)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--site", type=Path, default=BUILD / "compare")
    args = parser.parse_args(argv)
    build_site(args.site)
    problems = shoot(args.site / "decision.html", BUILD, args.chromium)
    for problem in problems:
        print(f"decision-shots: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
