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


VIETNAMESE_PLAN = """\
apiVersion: kpi-policies/v1
kind: KpiPlan
metadata:
  id: shop-2027
  title: Kế hoạch marketing 2027
  owner: Lan
  department: Marketing
  period: {start: 2027-01-01, end: 2027-12-31}
goals:
  - id: G-SALES
    title: Tăng doanh số online mỗi quý
    type: sales_growth
objectives:
  - id: OBJ-REVENUE
    title: Tăng doanh thu web
    goal: G-SALES
kpis:
  - id: KPI-REVENUE
    name: Doanh thu web mỗi tháng
    objective: OBJ-REVENUE
    metric: revenue
    unit: VND
    direction: increase
    baseline: {value: 50000000000, period: 2026}
    target: {value: 40000000000, due: 2027-12-31}   # mỗi quý tăng đều
    measurement: {tool: google-analytics-4, source: Báo cáo doanh thu, owner: Lan}
"""


def _fonts_of(page, selector: str) -> list[dict]:
    """The fonts Chromium really drew the text of ``selector`` with (DevTools CSS.getPlatformFontsForNode)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def _fonts_with(char: str) -> set[str]:
    """Installed font families that have a glyph for ``char`` (fontconfig), or skip."""
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig's fc-list is not installed")
    import subprocess

    out = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


def test_vietnamese_letters_are_drawn_by_a_font_that_has_them(tmp_path, page_of):
    """'mỗi' in a code excerpt and in a heading: the 'ỗ' comes from a font that has the letter, never
    composed from 'o' and two combining marks of a font without it (drawn "môĩ"); the page is Vietnamese."""
    (tmp_path / "plan.yaml").write_text(VIETNAMESE_PLAN, encoding="utf-8")
    out = tmp_path / "report.html"
    proc = run_cli("--lang", "vi", "report", "plan.yaml", "--as-of", "2027-04-10", "--format", "html", "--output", str(out),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    page, errors, requests = page_of(out)
    assert errors == [] and requests == [out.as_uri()]  # the fonts are local: nothing fetched
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.title() == "Báo cáo kiểm tra kế hoạch KPI tính đến ngày 10/04/2027"
    having = _fonts_with("ỗ")
    code = page.locator(".snippet .line code", has_text="mỗi").first
    assert "name: Doanh thu web mỗi tháng" in code.inner_text()
    title = page.locator("h2", has_text="Kế hoạch marketing 2027").first
    for i, element in enumerate((code, title)):
        element.evaluate(f"el => {{ const s = document.createElement('span'); s.id = 'vi-{i}'; s.textContent = 'ỗ'; el.appendChild(s); }}")
        drawn = {font["familyName"] for font in _fonts_of(page, f"#vi-{i}")}
        assert drawn and drawn <= having, f"'ỗ' drawn with {drawn}; fonts that have it: {having}"
    shot = tmp_path / "vi-code.png"
    code.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_font_stacks_name_only_fonts_with_vietnamese_coverage():
    css = (Path(__file__).resolve().parents[1] / "kpi_policies" / "templates" / "audit.css").read_text(encoding="utf-8")
    import re

    stacks = dict(re.findall(r"--(sans|mono):\s*([^;]+);", css))
    assert [f.strip().strip('"') for f in stacks["mono"].split(",")][0] == "KP Vietnamese Mono"
    assert "KP Vietnamese" in stacks["sans"]
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    assert len(faces) == 2 and all("unicode-range: U+1EA0-1EF9" in f and "url(" not in f for f in faces)
    assert all("Menlo" not in stack for stack in stacks.values())  # lacks Vietnamese letters: "mỗi" drawn as "môĩ"
    assert all("var(--" in d for d in re.findall(r"font-family:[^;]*;", css) if "KP Vietnamese" not in d)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_has_no_serious_accessibility_violation_on_a_desktop_or_a_phone(tmp_path, page_of, width):
    """axe-core (the engine of browser accessibility checkers) finds no serious or critical violation, phone width included."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    repo = make_audited_repo(tmp_path / "repo")
    out = tmp_path / "report.html"
    proc = run_cli("report", "plans", "--as-of", AS_OF, "--format", "html", "--output", str(out), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    page, errors, _ = page_of(out)
    page.set_viewport_size({"width": width, "height": 844})
    violations = axe.Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [] and errors == []
    # at phone width the page itself never scrolls sideways: wide tables scroll inside their own box
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
        && !e.closest('.scroll, .snippet')).slice(0, 5).map(e => e.tagName + '.' + e.className + ' in ' + e.parentElement.tagName)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, wide
