"""Pages as a person sees them: Debian's Chromium driven through Playwright.

Chromium's own `--screenshot`/`--dump-dom` switches wait for a virtual-time budget that a
single-page app which keeps polling (Dagster's UI) may never let run out, so a slow machine hung
there. Playwright waits for the thing the scenario is about to assert on instead, with a deadline,
and one page load gives both the screenshot and the DOM.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import allure
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

LOAD_TIMEOUT_MS = 90_000


@dataclass(frozen=True)
class Rendered:
    dom: str
    text: str
    screenshot: Path


def render(url: str, folder: Path, title: str, ready: str) -> Rendered:
    """Open `url`, wait until the CSS selector `ready` is in the page, attach a screenshot and the
    rendered DOM to the Allure result under `title`."""
    browser_path = shutil.which("chromium")
    assert browser_path, "chromium is not installed: run 'make setup'"
    shot = folder / f"{re.sub(r'[^a-z0-9]+', '-', title.lower())}.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, timeout=LOAD_TIMEOUT_MS)
            try:
                # attached, not visible: a flat line in a graph has no height, so never "visible"
                page.locator(ready).first.wait_for(state="attached", timeout=LOAD_TIMEOUT_MS)
            except PlaywrightError as exc:
                page.screenshot(path=shot, full_page=True)
                allure.attach.file(shot, name=f"{title} (not ready)", attachment_type="image/png")
                raise AssertionError(f"{url} never showed {ready!r}: {exc.message}") from exc
            page.wait_for_timeout(1500)  # let the graph finish laying out before the picture
            page.screenshot(path=shot, full_page=True)
            dom = page.content()
            text = page.inner_text("body")
        finally:
            browser.close()
    allure.attach.file(shot, name=title, attachment_type=allure.attachment_type.PNG)
    allure.attach(dom, name=f"{title} (rendered DOM)", attachment_type=allure.attachment_type.HTML)
    return Rendered(dom=dom, text=text, screenshot=shot)


def drawn_graph(html: str, container: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Node ids and edges of a Graphviz SVG inside the element with id `container`, as the
    lineage page draws them (node groups carry the node id, edge groups "edge A -> B")."""
    svg = unescape(html.split(f'id="{container}"', 1)[1].split("</svg>", 1)[0])
    nodes = set(re.findall(r'<g id="((?:dataset|job):[^"]+)" class="node"', svg))
    edges = set(re.findall(r'<g id="edge (\S+) -> (\S+)" class="edge"', svg))
    return nodes, edges
