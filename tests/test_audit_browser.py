"""The HTML audit report in a real browser: headless Chromium (Debian's ``chromium`` package) driven by Playwright.

The page is opened from disk as a user would open a report they were sent:
it must render without console errors or page errors, fetch nothing, run no
script, and show the plan's goals, KPIs and findings, with a hostile plan
title shown as text. A screenshot and a PDF print are taken as well.
Skipped when Chromium or Playwright is missing; ``.ci/run`` installs Chromium.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from test_audit_report import AS_OF, HOSTILE_NAME, HOSTILE_TITLE, make_audited_repo

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def page_of(tmp_path):
    """Open an HTML file in headless Chromium; yields a function ``open(path) -> (page, console errors, requests)``."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path / "profile"
    profile.mkdir()
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            def open_page(path: Path):
                page = context.new_page()
                errors: list[str] = []
                requests: list[str] = []
                page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
                page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
                page.on("request", lambda r: requests.append(r.url))
                page.goto(path.as_uri(), wait_until="load")
                return page, errors, requests

            yield open_page
        finally:
            context.close()


def test_report_renders_in_chromium_and_shows_goals_kpis_and_findings(tmp_path, page_of):
    repo = make_audited_repo(tmp_path / "repo")
    out = tmp_path / "report.html"
    proc = run_cli("report", "plans", "--as-of", AS_OF, "--format", "html", "--output", str(out), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    page, errors, requests = page_of(out)

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000

    assert errors == []
    assert requests == [out.as_uri()]  # nothing else fetched
    assert page.evaluate("document.scripts.length") == 0
    assert page.title() == f"KPI plan audit report as of {AS_OF}"

    text = page.inner_text("body")
    for expected in ("G-SALES", "Grow online sales", "OBJ-REVENUE", "G-RETENTION",  # goals and objectives
                     "KPI-REVENUE", "KPI-CONVERSION", "KPI-AOV", "KPI-CHURN",     # KPIs
                     "MT002", "KPI KPI-REVENUE is measured with 'my-spreadsheet'",  # the active finding
                     "FE005", "approved by the CFO (FIN-112)", "expires soon",      # the waived one
                     "81% of the target attained", "Forecast at due date"):
        assert expected in text, expected
    assert HOSTILE_TITLE in text and HOSTILE_NAME in text  # shown as text, never run
    assert page.locator("img").count() == 0

    headings = page.locator("h1, h2, h3").all_inner_texts()
    assert headings[0] == "KPI plan audit report"
    assert any(h.startswith(HOSTILE_TITLE) for h in headings)
    charts = page.locator("svg[role=img]")
    assert charts.count() == 7
    tree = page.locator("svg.tree").last  # the shop plan: three KPIs, an initiative
    box = tree.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 150
    assert "KPI-CONVERSION (Web conversion rate) drives KPI-REVENUE" in tree.locator("desc").text_content()
    assert page.locator("svg.tree g.has-findings").count() >= 1


def test_report_prints_to_pdf_without_the_navigation(tmp_path, page_of):
    repo = make_audited_repo(tmp_path / "repo")
    out = tmp_path / "report.html"
    assert run_cli("report", "plans", "--as-of", AS_OF, "--output", str(out), cwd=repo).returncode == 0
    page, errors, _ = page_of(out)
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('section.doc')).breakBefore") == "page"
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf[:5] == b"%PDF-" and pdf.count(b"/Type /Page") >= 4
    assert errors == []
