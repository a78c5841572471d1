"""Drive each app from a real browser: `make test-browser`.

A RealWorld frontend is a page on one origin calling the API on another, so what matters is what
a browser allows: the CORS preflight before every JSON or authenticated request, readable error
bodies, and origins taken from CORS_ALLOWED_ORIGINS. Each app is started with exactly one allowed
origin; headless Chromium loads tools/browser/frontend.html from that origin (it registers, logs
in, writes, favorites, comments and deletes), then from an origin that is not allowed, where every
call must be blocked by the browser.

Then the pages beside the API, driven through Playwright as a person would, on the demo data
(the seed command, with its staff login): the front door; /docs, where Swagger UI's Authorize
takes `Token <jwt>` for a user registered through the API and "Try it out" on GetCurrentUser
answers 200 with that user; /redoc, which renders every operation; the admin, where the staff
login changes an article's title (the API then serves the new title and slug) and a regular
account is refused. Every request for another host is blocked and fails the check, and so does
any failed answer while a docs page loads. Screenshots go to build/browser/<app>-<page>.png.

Needs Chromium (Debian package `chromium`): Playwright drives it as it is and downloads nothing.
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
import time
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from tests.servers import BIN, IMPLEMENTATIONS, REPO_ROOT, LiveServer, free_port
from tools.apps import spec_operations

PAGE_DIR = Path(__file__).resolve().parent / "browser"
SCREENSHOTS = REPO_ROOT / "build" / "browser"
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip
DUMP_DOM_FLAGS = ("--headless", *CHROMIUM_FLAGS, "--virtual-time-budget=30000", "--dump-dom")
SEED = {
    "flask": (str(BIN / "flask"), "--app", "flask_app", "seed"),
    "django": (str(BIN / "python"), "django_app/manage.py", "seed"),
    "fastapi": (str(BIN / "python"), "-m", "fastapi_app.cli", "seed"),
}
# Where each admin lists the articles (Flask-Admin, Django admin, SQLAdmin).
ADMIN_ARTICLES = {"flask": "/admin/article/", "django": "/admin/conduit/article/",
                  "fastapi": "/admin/article/list"}  # fmt: skip
STEPS = 6  # per app, besides the two CORS checks (Visit.run)
STAFF = json.loads((REPO_ROOT / "shared_spec" / "demo_data.json").read_text(encoding="utf-8"))[
    "staff"
]

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
            [chromium, *DUMP_DOM_FLAGS, f"--user-data-dir={profile}", url],
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


def cors_checks(name: str, chromium: str, api: str, allowed_port: int, other_port: int) -> int:
    """The frontend page on the allowed origin, then on another one; the number that failed."""
    seen = browse(chromium, f"http://127.0.0.1:{allowed_port}/frontend.html?api={api}")
    ok = normalised(seen) == normalised(EXPECTED)
    print(f"[{name}] page on an allowed origin: {'ok' if ok else 'FAILED'}", flush=True)
    if not ok:
        for expected, got in zip(EXPECTED, [*seen, *[""] * len(EXPECTED)], strict=False):
            marker = "  " if expected == got else "!!"
            print(f"    {marker} expected {expected!r}\n       got      {got!r}")
    blocked = browse(chromium, f"http://127.0.0.1:{other_port}/frontend.html?api={api}")
    refused = bool(blocked) and blocked[0].startswith("error TypeError")
    print(f"[{name}] page on another origin is blocked: {'ok' if refused else 'FAILED'}")
    if not refused:
        print(f"    got {blocked}")
    return (not ok) + (not refused)


class Watch:
    """What one browser context's pages asked for: any request for another host (blocked here,
    or refused by the page's own Content-Security-Policy: either way the page tried), and every
    answer of 400 or more."""

    def __init__(self, context: BrowserContext, origin: str) -> None:
        self.origin, self.other, self.failed = origin, list[str](), list[str]()
        self.refused_by_policy = list[str]()
        context.route(lambda url: not self.ours(url), lambda route: route.abort())
        context.on("request", self.on_request)
        context.on("requestfailed", self.on_request_failed)
        context.on("response", self.on_response)

    def ours(self, url: str) -> bool:
        parts = urlsplit(url)
        inner = urlsplit(parts.path) if parts.scheme == "blob" else parts  # blob:http://host/id
        return parts.scheme == "data" or f"{inner.scheme}://{inner.netloc}" == self.origin

    def on_request(self, request: Request) -> None:
        if not self.ours(request.url):
            self.other.append(request.url)

    def on_request_failed(self, request: Request) -> None:
        # Chromium names the reason "csp" (net::ERR_BLOCKED_BY_CSP in its own logs).
        if not self.ours(request.url) and "csp" in (request.failure or "").lower():
            self.refused_by_policy.append(request.url)

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def problems(self, failures_allowed: bool, policy_refusals_allowed: bool) -> list[str]:
        """What went wrong. An attempt the page's own Content-Security-Policy refused never left
        the browser; where the step allows it (ReDoc's menu always asks for a Redocly logo, see
        the apps' redoc templates) it is printed, not counted."""
        refused = set(self.refused_by_policy) if policy_refusals_allowed else set()
        for url in dict.fromkeys(self.refused_by_policy):
            if url in refused:
                print(f"    (refused by the page's own policy, never sent: {url})")
        found = [f"tried another host: {url}" for url in dict.fromkeys(self.other)
                 if url not in refused]  # fmt: skip
        if not failures_allowed:
            found += [f"failed: {failed}" for failed in dict.fromkeys(self.failed)]
        self.other.clear()
        self.failed.clear()
        self.refused_by_policy.clear()
        return found


class Visit:
    """One app's pages, driven step by step; each step prints its verdict and takes its
    screenshot, whatever happened."""

    def __init__(self, name: str, browser: Browser, root: str) -> None:
        self.name, self.browser, self.root, self.failures = name, browser, root, 0
        stamp = f"{time.time_ns() % 10**10}"
        self.user = {"username": f"reader{stamp}", "email": f"reader{stamp}@example.com",
                     "password": "password-1234"}  # fmt: skip
        self.title, self.new_title = f"Browser check {stamp}", f"Edited in the admin {stamp}"
        self.slug, self.new_slug = (
            title.lower().replace(" ", "-") for title in (self.title, self.new_title)
        )
        self.token = ""

    def api(self, method: str, path: str, token: str = "", **body: object) -> httpx.Response:
        headers = {"Authorization": f"Token {token}"} if token else {}
        return httpx.request(method, f"{self.root}/api{path}", json=body or None,
                             headers=headers, timeout=30)  # fmt: skip

    def step(
        self,
        label: str,
        screenshot: str,
        action: Callable[[Page], str],
        failures_allowed: bool = False,
        policy_refusals_allowed: bool = False,
    ) -> None:
        context = self.browser.new_context(viewport={"width": 1280, "height": 1000})
        watch, page, started = Watch(context, self.root), context.new_page(), time.monotonic()
        page.set_default_timeout(15_000)
        try:
            detail = action(page)
            problems = watch.problems(failures_allowed, policy_refusals_allowed)
        except (AssertionError, PlaywrightError) as error:
            lines = [line for line in str(error).splitlines() if line.strip()][:3]
            more = watch.problems(failures_allowed, policy_refusals_allowed)
            detail, problems = "", [" / ".join(lines), *more]
        finally:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{self.name}-{screenshot}.png")
            context.close()
        verdict = "FAILED" if problems else "ok"
        print(f"[{self.name}] {label}: {verdict} ({time.monotonic() - started:.1f} s) {detail}")
        print("".join(f"    !! {problem}\n" for problem in problems), end="", flush=True)
        self.failures += bool(problems)

    def run(self) -> int:
        created = self.api("POST", "/users", user=self.user)
        assert created.status_code == 201, created.text
        self.token = created.json()["user"]["token"]
        fields = {"title": self.title, "description": "By the browser check.", "body": "Hi."}
        article = self.api("POST", "/articles", self.token, article=fields)
        assert article.json()["article"]["slug"] == self.slug, article.text
        self.step("front door /", "front-door", self.front_door)
        self.step("/docs: Authorize with Token <jwt>, Try it out GetCurrentUser", "docs", self.docs)
        self.step("/redoc renders every operation", "redoc", self.redoc,
                  policy_refusals_allowed=True)  # fmt: skip
        self.step("admin: staff lists the articles", "admin-list", self.admin_list)
        self.step("admin: staff edits a title, the API serves it", "admin-saved", self.admin_edit)
        self.step("admin: a regular account is refused", "admin-refused", self.refused, True)
        return self.failures

    def front_door(self, page: Page) -> str:
        page.goto(self.root + "/")
        for path in ("/docs", "/redoc", "/openapi.json", "/admin/", "/health"):
            expect(page.locator(f'a[href$="{path}"]').first).to_be_visible()
        self.icon(page)
        return "links to the docs, ReDoc, the document, the admin and /health"

    def docs(self, page: Page) -> str:
        page.goto(self.root + "/docs")
        page.locator(".swagger-ui .auth-wrapper .btn.authorize").click()
        dialog = page.locator(".dialog-ux")
        dialog.get_by_label("Value").fill(f"Token {self.token}")
        dialog.locator("button.authorize").click()  # its accessible name: "Apply credentials"
        dialog.get_by_role("button", name="Close").click()
        operation = page.locator('.opblock[id$="-GetCurrentUser"]')
        operation.locator(".opblock-summary").first.click()
        operation.get_by_role("button", name="Try it out").click()
        operation.get_by_role("button", name="Execute").click()
        answer = operation.locator(".live-responses-table tbody .response").first
        expect(answer.locator(".response-col_status")).to_have_text("200")
        expect(answer.locator(".response-col_description")).to_contain_text(self.user["email"])
        operation.evaluate("element => element.scrollIntoView()")  # for the screenshot
        self.icon(page)
        return f"200 with {self.user['username']}"

    def redoc(self, page: Page) -> str:
        page.goto(self.root + "/redoc")
        summaries = [operation.summary for operation in spec_operations()]
        expect(page.get_by_role("heading", name=summaries[0]).first).to_be_visible()
        text = page.content()
        missing = [summary for summary in summaries if html.escape(summary) not in text]
        assert not missing, f"not rendered: {missing}"
        self.icon(page)
        return f"{len(summaries)} operations"

    def icon(self, page: Page) -> None:
        """The browser asks for the page's icon by itself (/favicon.ico unless the page names
        one), out of Playwright's sight: ask for it the same way."""
        href = page.evaluate("document.querySelector('link[rel~=icon]')?.href || '/favicon.ico'")
        if not href.startswith("data:"):
            status = page.request.get(urljoin(page.url, href)).status
            assert status == 200, f"failed: {status} {urljoin(page.url, href)} (the page's icon)"

    def log_in(self, page: Page, email: str, password: str) -> Response | None:
        page.goto(self.root + "/admin/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation() as navigation:
            page.locator("form [type=submit]").first.click()
        return navigation.value

    def admin_list(self, page: Page) -> str:
        self.log_in(page, STAFF["email"], STAFF["password"])
        page.goto(self.root + ADMIN_ARTICLES[self.name])
        expect(page.locator("tr", has_text=self.title)).to_have_count(1)
        return f"{ADMIN_ARTICLES[self.name]} shows {self.title!r}"

    def admin_edit(self, page: Page) -> str:
        self.log_in(page, STAFF["email"], STAFF["password"])
        page.goto(self.root + ADMIN_ARTICLES[self.name])
        row = page.locator("tr", has_text=self.title)
        row.locator('a[href*="/edit"], a[href$="/change/"]').first.click()
        page.get_by_label("Title").fill(self.new_title)
        page.screenshot(path=SCREENSHOTS / f"{self.name}-admin-edit.png")
        with page.expect_navigation():
            page.get_by_role("button", name="Save", exact=True).click()
        listed = self.api("GET", f"/articles?author={self.user['username']}").json()["articles"]
        served = [(article["title"], article["slug"]) for article in listed]
        assert served == [(self.new_title, self.new_slug)], f"the API serves {served}"
        assert self.api("GET", f"/articles/{self.new_slug}").status_code == 200
        assert self.api("GET", f"/articles/{self.slug}").status_code == 404, "the old slug stays"
        return f"the API serves {self.new_slug!r}, {self.slug!r} is gone"

    def refused(self, page: Page) -> str:
        """Anonymous first, then signed in with a regular account (the screenshot's page)."""
        self.refusal(page, page.goto(self.root + ADMIN_ARTICLES[self.name]))
        self.refusal(page, self.log_in(page, self.user["email"], self.user["password"]))
        return "anonymous and regular: the login page or a 403, never the data"

    def refusal(self, page: Page, response: Response | None) -> None:
        status = response.status if response else 0
        login_page = page.get_by_label("Password").count() > 0
        assert status == 403 or login_page, f"{page.url} ({status}) is no refusal"
        assert self.new_title not in page.content(), f"{page.url} shows the article"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default=",".join(IMPLEMENTATIONS))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")  # /usr/bin/chromium
    if not chromium:
        print("Chromium is needed: apt-get install chromium", file=sys.stderr)
        return 2

    allowed_port, other_port = free_port(), free_port()
    allowed_origin = f"http://127.0.0.1:{allowed_port}"
    pages = [serve_page(allowed_port), serve_page(other_port)]
    names, failures, started = args.impl.split(","), 0, time.monotonic()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            for name in names:
                env = {"CORS_ALLOWED_ORIGINS": allowed_origin, "SEED": "1"}
                server = LiveServer(name, extra_env=env)
                print(f"[{name}] starting on port {server.port}, seeding the demo data", flush=True)
                server.start()
                try:
                    subprocess.run(SEED[name], cwd=REPO_ROOT, env=server.environment(),
                                   capture_output=True, check=True, timeout=120)  # fmt: skip
                    api = f"{server.root_url}/api"
                    failures += cors_checks(name, chromium, api, allowed_port, other_port)
                    failures += Visit(name, browser, server.root_url).run()
                except (subprocess.CalledProcessError, AssertionError, httpx.HTTPError) as error:
                    print(f"[{name}] FAILED before the pages: {error!r}"[:500], flush=True)
                    failures += STEPS
                finally:
                    server.stop()
            browser.close()
    finally:
        for page in pages:
            page.shutdown()
    checks = (2 + STEPS) * len(names)
    print(f"screenshots: {SCREENSHOTS}/ ({time.monotonic() - started:.0f} s)")
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
