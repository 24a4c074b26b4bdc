"""A journey through the site in Chromium: screenshots of every step, axe-core on every page.

Playwright's async API is used directly (pytest-playwright's sync fixtures break pytest-asyncio for
every later test: stack notes, trap 21). Debian's Chromium is driven; `playwright install` is never
needed (it cannot download browsers here).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

try:
    from playwright.async_api import Browser, BrowserContext, Page, Response, expect
except ImportError:  # the folder is skipped (conftest.py says why); the modules must still import
    Browser = BrowserContext = Page = Response = expect = None

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = ROOT / "test-output" / "e2e"
BLOCKING = ("serious", "critical")

# axe-core's default rules (WCAG 2.x A/AA and best practices); every finding is kept for the report.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                             summary: n.failureSummary}))
  }));
}"""

# Every page records what the Content-Security-Policy refused, and the scripts' uncaught errors.
WATCH_PAGE = """(() => {
  window.__refused = [];
  document.addEventListener("securitypolicyviolation", e => window.__refused.push(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`));
})();"""

# Elements sticking out past the right edge of the viewport, for an overflow's failure message.
WIDE_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 8)
    .map(e => e.outerHTML.slice(0, 160));
}"""


# The focused element's outline, as drawn: a keyboard user must see where they are.
FOCUS_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  return {tag: document.activeElement.tagName.toLowerCase(), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth) || 0, color: style.outlineColor};
}"""


async def assert_focus_visible(page: Page) -> None:
    ring = await page.evaluate(FOCUS_RING)
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, f"no visible focus ring: {ring}"


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
            if node["summary"]:
                lines.extend(f"      {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)


class Journey:
    """A journey's people (one browser context each, with its own cookies), screenshots and checks.

    Every page shown goes through `check`: a full-page screenshot in
    test-output/e2e/<journey>/<nn>-<step>.png, axe-core (no serious or critical violation), no
    horizontal overflow at the viewport's width, nothing refused by the site's own
    Content-Security-Policy, no script error and no server error along the way.
    """

    def __init__(
        self, browser: Browser, base: str, log: Path, name: str, width: int = 1280, height: int = 900
    ) -> None:
        self.browser = browser
        self.base = base
        self.log = log  # the server's output, quoted when it answered with an error
        self.name = name
        self.viewport = {"width": width, "height": height}
        self.folder = OUTPUT / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.steps = 0
        self.contexts: list[BrowserContext] = []
        self.server_errors: list[str] = []
        self.script_errors: list[str] = []
        self.findings: dict[str, list[dict]] = {}  # every axe finding, whatever its impact, by step

    async def person(self) -> Page:
        """A new visitor: a fresh browser context (no cookies), French like most of the sector."""
        context = await self.browser.new_context(
            base_url=self.base, viewport=self.viewport, locale="fr-FR", accept_downloads=True
        )
        # Init scripts come through the DevTools protocol, which the page's CSP does not govern: the
        # site's policy stays in force (no bypass_csp), so a violation by the site itself shows.
        await context.add_init_script(script=WATCH_PAGE)
        await context.add_init_script(path=AXE)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("response", self._watch)
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        return page

    def _watch(self, response: Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    async def goto(self, page: Page, path: str, step: str) -> None:
        response = await page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        await self.check(page, step)

    async def check(self, page: Page, step: str) -> None:
        """Screenshot, then axe-core, overflow and server errors; the failure message lists them all."""
        self.steps += 1
        shot = self.folder / f"{self.steps:02d}-{step}.png"
        await page.screenshot(path=shot, full_page=True)
        violations = await page.evaluate(RUN_AXE)
        self.findings[f"{shot.stem} {page.url}"] = violations
        (self.folder / "axe.json").write_text(json.dumps(self.findings, indent=1, ensure_ascii=False))
        problems = []
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        if blocking:
            problems.append("axe-core found serious or critical violations:\n" + describe(blocking))
        width = page.viewport_size["width"]
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            wide = "\n".join(f"    {html}" for html in await page.evaluate(WIDE_ELEMENTS))
            problems.append(f"the page is {scroll_width}px wide in a {width}px viewport:\n{wide}")
        refused = await page.evaluate("window.__refused")
        if refused:
            problems.append("the Content-Security-Policy refused:\n" + "\n".join(f"    {r}" for r in refused))
        if self.script_errors:
            problems.append("script errors:\n" + "\n".join(f"    {e}" for e in self.script_errors))
        if self.server_errors:
            tail = "".join(self.log.read_text(errors="replace").splitlines(keepends=True)[-40:])
            problems.append(f"server errors: {', '.join(self.server_errors)}\nthe end of {self.log}:\n{tail}")
        assert not problems, f"{step} — {page.url} (screenshot {shot}):\n" + "\n".join(problems)

    async def on_a_phone(self, page: Page, step: str) -> None:
        """The page as it is, again at 360 x 740: checked, then back to the journey's viewport."""
        await page.set_viewport_size({"width": 360, "height": 740})
        try:
            await self.check(page, step)
        finally:
            await page.set_viewport_size(self.viewport)

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def sign_in(journey: Journey, page: Page, email: str, password: str, step: str) -> None:
    await journey.goto(page, "/sign-in", f"{step}-form")
    await page.locator("#field-email").fill(email)
    await page.locator("#field-password").fill(password)
    await page.locator("main form").get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(lambda url: "/sign-in" not in url)
    await expect(page.locator(".site-header")).to_contain_text("Mon compte")
