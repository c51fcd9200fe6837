"""The auditor report (`kpi-policies report`) as an auditor and a user meet it.

Every test runs the real command line on plans in a scratch git repository
whose commits have a known author and date, then reads what the report says:
the evidence block, rule outcomes, findings with their context, the waiver
register, KPI progress and the goal tree, in json, html and markdown.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kpi_policies import __version__
from kpi_policies.audit.register import EXPIRY_WARNING_DAYS
from kpi_policies.rules.registry import get_rule

from conftest import ROOT, replace, run_cli, shared

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
AS_OF = "2027-04-10"
AUTHOR = {"GIT_AUTHOR_NAME": "Alice Auditor", "GIT_AUTHOR_EMAIL": "alice@example.com",
          "GIT_AUTHOR_DATE": "2027-03-01T10:00:00+00:00", "GIT_COMMITTER_NAME": "Alice Auditor",
          "GIT_COMMITTER_EMAIL": "alice@example.com", "GIT_COMMITTER_DATE": "2027-03-01T10:00:00+00:00"}
#: The plan title every report must show as text, never as markup.
HOSTILE_TITLE = "Shop <script>alert(1)</script> 2027"
HOSTILE_NAME = 'Average order value <img src=x onerror="alert(2)">'
WAIVER = '# kpi-policies: ignore[FE005] reason="New bundles priced in; approved by the CFO (FIN-112)" until=2027-04-30'


def shop_plan() -> str:
    """The compliant shop plan with three changes: a hostile title, an unapproved tool (MT002), and a waived FE005."""
    text = (FIXTURES / "shop-marketing-2027.yaml").read_text(encoding="utf-8")
    text = replace(text, {"title: Online shop marketing 2027": f'title: "{HOSTILE_TITLE}"'})
    text = replace(text, {"tool: crm, source: CRM monthly revenue report": "tool: my-spreadsheet, source: CRM monthly revenue report"})
    aov = f"""  - id: KPI-AOV
    name: '{HOSTILE_NAME}'
    owner: head-of-marketing
    objective: OBJ-REVENUE
    metric: average_order_value
    unit: VND
    direction: increase
    baseline: {{value: 500000, period: 2026}}
    {WAIVER}
    target: {{value: 800000, due: 2027-12-31}}
    measurement: {{tool: crm, source: CRM orders report, owner: sales-ops}}
    review:
      cadence: monthly
      reviewer: head-of-marketing
      log:
        - {{date: 2027-02-28, actual: 560000}}
        - {{date: 2027-03-31, actual: 650000}}
initiatives:
"""
    return replace(text, {"initiatives:\n": aov})


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as Alice, at a fixed date; its standard output."""
    env = {**os.environ, **AUTHOR}
    command = ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args]
    return subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def make_audited_repo(root: Path) -> Path:
    """A git repository at ``root`` with the fixture plans (one of them defective and waived), committed by Alice."""
    plans = root / "plans"
    shutil.copytree(FIXTURES, plans)
    (plans / "shop-marketing-2027.yaml").write_text(shop_plan(), encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "KPI plans 2027")
    return root


@pytest.fixture(scope="module")
def audited_repo(tmp_path_factory) -> Path:
    """The audited repository, made once (skips when git is not installed); tests work on copies."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return make_audited_repo(tmp_path_factory.mktemp("audited") / "repo")


@pytest.fixture
def repo(tmp_path, audited_repo):
    """A fresh copy of the audited repository, history included."""
    return Path(shutil.copytree(audited_repo, tmp_path / "repo", symlinks=True))


def report(repo: Path, *args: str, fmt: str = "json"):
    """Run ``kpi-policies report plans --format FMT ARGS`` in ``repo``: (exit code, text written, stderr)."""
    out = repo.parent / f"report.{fmt}"
    proc = run_cli("report", "plans", "--as-of", AS_OF, "--format", fmt, "--output", str(out), *args, cwd=repo)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc.returncode, out.read_text(encoding="utf-8") if out.exists() else "", proc.stderr


def report_json(repo: Path, *args: str) -> dict:
    code, text, err = report(repo, *args)
    assert code == 0, err
    return json.loads(text)


def document(data: dict, name: str) -> dict:
    return next(d for d in data["documents"] if d["file"].endswith(name))


# --- reproducible ------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "html", "markdown"])
def test_reproducible_runs_are_byte_identical(repo, fmt):
    first = run_cli("report", "plans", "--as-of", AS_OF, "--format", fmt, "--reproducible", "-o", "a.out", cwd=repo)
    second = run_cli("report", "plans", "--as-of", AS_OF, "--format", fmt, "--reproducible", "-o", "b.out", cwd=repo)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert (repo / "a.out").read_bytes() == (repo / "b.out").read_bytes()
    assert (repo / "a.out").stat().st_size > 1000


def test_generation_time_is_recorded_unless_reproducible(repo):
    stamped = report_json(repo)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", stamped["evidence"]["generated_at"])
    assert stamped["evidence"]["reproducible"] is False
    plain = report_json(repo, "--reproducible")
    assert plain["evidence"]["generated_at"] is None and plain["evidence"]["reproducible"] is True
    _, html, _ = report(repo, "--reproducible", fmt="html")
    assert "left out (<code>--reproducible</code>)" in html
    assert stamped["evidence"]["generated_at"] not in html


# --- evidence ----------------------------------------------------------------

def test_evidence_names_version_policy_as_of_and_every_file_with_its_hash_and_commit(repo):
    data = report_json(repo, "--reproducible")
    ev = data["evidence"]
    assert ev["tool"] == {"name": "kpi-policies", "version": __version__}
    assert ev["as_of"] == AS_OF
    head = git(repo, "rev-parse", "HEAD").strip()
    assert ev["repository_head"] == head
    shown = run_cli("config", "--show", cwd=repo).stdout
    assert f"policy digest: {ev['policy']['digest']}" in shown
    assert ev["policy"]["id"] == "recommended"
    (source,) = ev["policy"]["sources"]
    assert source["path"] == "built-in:default.yaml" and source["builtin"] is True
    assert source["sha256"] == hashlib.sha256((ROOT / "rules" / "default.yaml").read_bytes()).hexdigest()
    files = {f["path"]: f for f in ev["files"]}
    assert set(files) == {"plans/company-2027.yaml", "plans/retention-2027.yaml", "plans/shop-marketing-2027.yaml"}
    for path, entry in files.items():
        raw = (repo / path).read_bytes()
        assert entry["sha256"] == hashlib.sha256(raw).hexdigest() and entry["size"] == len(raw)
        assert entry["git"] == {"commit": head, "date": "2027-03-01T10:00:00+00:00", "state": "committed"}
    assert files["plans/company-2027.yaml"]["kind"] == "Strategy"
    assert files["plans/shop-marketing-2027.yaml"]["id"] == "shop-marketing-2027"


def test_evidence_says_when_a_file_differs_from_its_last_commit_or_is_outside_git(repo, tmp_path):
    path = repo / "plans" / "retention-2027.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited after the commit\n", encoding="utf-8")
    files = {f["path"]: f for f in report_json(repo)["evidence"]["files"]}
    assert files["plans/retention-2027.yaml"]["git"]["state"] == "modified"
    assert files["plans/retention-2027.yaml"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert files["plans/company-2027.yaml"]["git"]["state"] == "committed"
    outside = tmp_path / "loose"
    outside.mkdir()
    shutil.copy(FIXTURES / "company-2027.yaml", outside / "company-2027.yaml")
    proc = run_cli("report", "company-2027.yaml", "--format", "json", "--as-of", AS_OF, cwd=outside)
    assert proc.returncode == 0, proc.stderr
    loose = json.loads(proc.stdout)
    assert loose["evidence"]["files"][0]["git"] is None and loose["evidence"]["repository_head"] is None


# --- rule outcomes and findings ----------------------------------------------

def test_every_rule_has_an_outcome_on_every_file(repo):
    data = report_json(repo)
    rule_ids = data["compliance"]["rules"]
    assert len(rule_ids) == data["summary"]["rules_run"] == len(data["rules"])
    shop = document(data, "shop-marketing-2027.yaml")
    outcomes = {r["id"]: r for r in shop["rules"]}
    assert [r["id"] for r in shop["rules"]] == rule_ids
    assert outcomes["MT002"]["outcome"] == "fail" and outcomes["MT002"]["findings"] == 1
    assert outcomes["FE005"]["outcome"] == "suppressed" and outcomes["FE005"]["suppressed"] == 1
    assert outcomes["FE004"]["outcome"] == "pass" and outcomes["GL001"]["outcome"] == "pass"
    assert outcomes["SU001"]["outcome"] == "pass"  # the waiver has a reason
    assert shop["verdict"] == "failed" and data["summary"]["verdict"] == "failed"
    strategy = {r["id"]: r for r in document(data, "company-2027.yaml")["rules"]}
    assert strategy["FE001"]["outcome"] == "not_applicable"
    assert strategy["FE001"]["note"] == "judges KpiPlan files, not Strategy"
    assert strategy["GL006"]["outcome"] == "pass" and strategy["Y001"]["outcome"] == "pass"
    retention = {r["id"]: r for r in document(data, "retention-2027.yaml")["rules"]}
    assert retention["SU001"]["outcome"] == "not_applicable" and "no suppression" in retention["SU001"]["note"]
    for row, doc in zip(data["compliance"]["rows"], data["documents"]):
        assert row["file"] == doc["file"] and row["outcomes"] == [r["outcome"] for r in doc["rules"]]
    assert data["summary"]["outcomes"]["fail"] == 1 and data["summary"]["outcomes"]["suppressed"] == 1


def test_each_finding_carries_the_rule_summary_rationale_and_the_yaml_around_it(repo):
    shop = document(report_json(repo), "shop-marketing-2027.yaml")
    (finding,) = [f for f in shop["findings"] if f["rule_id"] == "MT002"]
    rule = get_rule("MT002")
    assert finding["status"] == "active" and finding["rule_summary"] == rule.summary()
    assert finding["rationale"] == " ".join(rule.rationale().split()) and finding["rationale"]
    snippet = finding["snippet"]
    lines = (repo / "plans" / "shop-marketing-2027.yaml").read_text(encoding="utf-8").splitlines()
    assert snippet["focus"] == finding["line"] and "my-spreadsheet" in lines[finding["line"] - 1]
    assert snippet["lines"] == lines[snippet["start"] - 1:snippet["start"] - 1 + len(snippet["lines"])]
    assert snippet["start"] == finding["line"] - 2 and len(snippet["lines"]) == 5
    (waived,) = [f for f in shop["findings"] if f["rule_id"] == "FE005"]
    assert waived["status"] == "suppressed" and waived["suppression"]["kind"] == "inline"


# --- suppression register ----------------------------------------------------

def test_suppression_register_names_who_waived_why_until_when_and_flags_expiry(repo):
    data = report_json(repo)
    (entry,) = data["suppressions"]
    waiver_line = (repo / "plans" / "shop-marketing-2027.yaml").read_text(encoding="utf-8").splitlines().index("    " + WAIVER) + 1
    assert entry["kind"] == "inline" and entry["rules"] == ["FE005"]
    assert entry["reason"] == "New bundles priced in; approved by the CFO (FIN-112)"
    assert entry["until"] == "2027-04-30" and entry["expires_in_days"] == 20
    assert entry["expiring_soon"] is True and 20 <= EXPIRY_WARNING_DAYS
    assert entry["file"] == "plans/shop-marketing-2027.yaml" and entry["line"] == waiver_line
    who = entry["waived_by"]
    assert (who["name"], who["email"], who["source"]) == ("Alice Auditor", "alice@example.com", "git blame")
    assert who["commit"] == git(repo, "rev-parse", "HEAD").strip() and who["date"] == "2027-03-01T10:00:00+00:00"
    assert [(f["rule_id"], f["object_id"]) for f in entry["findings"]] == [("FE005", "KPI-AOV")]
    assert data["summary"]["expiring_soon"] == 1 and data["summary"]["findings"]["suppressed"] == 1
    _, html, _ = report(repo, fmt="html")
    assert "expires soon" in html and "Alice Auditor" in html and "approved by the CFO (FIN-112)" in html
    _, markdown, _ = report(repo, fmt="markdown")
    assert "2027-04-30 **(expires in 20 day(s))**" in markdown and "Alice Auditor (2027-03-01)" in markdown


def test_a_waiver_far_from_expiry_is_not_flagged_and_an_uncommitted_one_has_no_author(repo):
    path = repo / "plans" / "shop-marketing-2027.yaml"
    path.write_text(replace(path.read_text(encoding="utf-8"), {"until=2027-04-30": "until=2027-09-30"}), encoding="utf-8")
    (entry,) = report_json(repo)["suppressions"]
    assert entry["expires_in_days"] == 173 and entry["expiring_soon"] is False
    assert entry["waived_by"] is None and "not committed yet" in entry["waived_by_note"]


def test_policy_waivers_are_blamed_on_their_line_in_the_policy(repo):
    (repo / "policy.yaml").write_text(
        "apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: acme}\nsuppressions:\n"
        "  - plan: shop-marketing-2027\n    kpi: KPI-REVENUE\n    rules: [MT002]\n"
        "    reason: Spreadsheet until the CRM export is fixed (IT-77)\n", encoding="utf-8")
    git(repo, "add", "policy.yaml")
    git(repo, "commit", "-q", "-m", "Waive MT002 for the revenue KPI")
    data = report_json(repo, "--policy", "policy.yaml")
    kinds = {e["kind"]: e for e in data["suppressions"]}
    policy = kinds["policy"]
    assert policy["file"] == "policy.yaml" and policy["line"] == 5 and policy["until"] is None
    assert policy["expiring_soon"] is False and policy["waived_by"]["name"] == "Alice Auditor"
    assert policy["waived_by"]["summary"] == "Waive MT002 for the revenue KPI"
    assert data["evidence"]["policy"]["id"] == "acme"
    assert [s["path"] for s in data["evidence"]["policy"]["sources"]] == ["built-in:default.yaml", "policy.yaml"]
    assert data["summary"]["verdict"] == "passed"


# --- KPI progress and goal tree ----------------------------------------------

def test_report_shows_each_kpis_attainment_target_to_date_forecast_and_status(repo):
    data = report_json(repo)
    aov = next(k for k in document(data, "shop-marketing-2027.yaml")["kpis"] if k["id"] == "KPI-AOV")
    # a latest value (the catalog's default for average order value): 650,000 of 800,000
    assert aov["aggregation"] == "latest" and aov["aggregation_source"] == "catalog"
    assert aov["attainment"] == 0.8125 and aov["actual_to_date"] == 650000 and aov["actual_through"] == "2027-03-31"
    # on the straight path from 500,000 (2027-01-01) to 800,000 (2027-12-31), 573,352 was due by 2027-03-31
    assert aov["target_to_date"] == pytest.approx(500000 + 300000 * 89 / 364, abs=1)
    assert aov["forecast"] > 800000 and aov["status"] == "on_track"
    assert aov["baseline"] == {"value": 500000, "period": "2026"}
    assert aov["target"] == {"value": 800000, "due": "2027-12-31"}
    assert aov["latest"] == {"date": "2027-03-31", "actual": 650000} and len(aov["reviews"]) == 2
    churn = next(k for k in document(data, "retention-2027.yaml")["kpis"] if k["id"] == "KPI-CHURN")
    assert churn["direction"] == "decrease" and churn["attainment"] == pytest.approx(4.2 / 4.6, abs=1e-4)
    assert churn["status"] in ("on_track", "at_risk", "off_track")
    assert data["summary"]["kpi_statuses"]["on_track"] >= 1
    _, html, _ = report(repo, fmt="html")
    assert "<strong>81%</strong> of the target attained" in html
    assert "of the way from baseline to target" not in html


def test_goal_tree_links_goals_objectives_kpis_drivers_and_initiatives_and_marks_findings(repo):
    tree = document(report_json(repo), "shop-marketing-2027.yaml")["tree"]
    nodes = {n["key"]: n for n in tree["nodes"]}
    edges = {(e["from"], e["kind"], e["to"]) for e in tree["edges"]}
    assert ("objective:OBJ-REVENUE", "serves", "goal:G-SALES") in edges
    assert ("kpi:KPI-REVENUE", "measures", "objective:OBJ-REVENUE") in edges
    assert ("kpi:KPI-CONVERSION", "drives", "kpi:KPI-REVENUE") in edges
    assert ("initiative:INIT-CHECKOUT", "moves", "kpi:KPI-CONVERSION") in edges
    assert nodes["kpi:KPI-REVENUE"]["findings"] == 1 and nodes["kpi:KPI-CONVERSION"]["findings"] == 0
    assert nodes["kpi:KPI-AOV"]["suppressed"] == 1 and nodes["goal:G-SALES"]["title"] == "Grow online sales"
    retention = document(report_json(repo), "retention-2027.yaml")["tree"]
    goal = next(n for n in retention["nodes"] if n["kind"] == "goal")
    assert goal["id"] == "G-RETENTION" and goal["source"] == "strategy"


def test_missing_links_show_as_marked_placeholders(tmp_path):
    plan = tmp_path / "orphan.yaml"
    plan.write_text("apiVersion: kpi-policies/v1\nkind: KpiPlan\nmetadata: {id: orphan, title: Orphans}\n"
                    "objectives:\n  - {id: OBJ-A, title: A, goal: G-NOWHERE}\n"
                    "kpis:\n  - {id: KPI-A, name: A, objective: OBJ-A}\n  - {id: KPI-B, name: B}\n", encoding="utf-8")
    proc = run_cli("report", str(plan), "--format", "json", "--as-of", AS_OF, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    tree = json.loads(proc.stdout)["documents"][0]["tree"]
    nodes = {n["key"]: n for n in tree["nodes"]}
    assert nodes["goal:?G-NOWHERE"]["placeholder"] and nodes["objective:?none"]["placeholder"]
    assert nodes["kpi:KPI-B"]["findings"] >= 1
    assert {(e["from"], e["to"]) for e in tree["edges"]} >= {("objective:OBJ-A", "goal:?G-NOWHERE"),
                                                              ("kpi:KPI-B", "objective:?none")}


# --- html --------------------------------------------------------------------

def test_html_is_one_self_contained_page_without_script(repo):
    code, html, err = report(repo, fmt="html")
    assert code == 0 and err.strip() == f"wrote {repo.parent / 'report.html'}"
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    tags = re.findall(r"<[a-zA-Z][^>]*>", html)
    assert not [t for t in tags if re.match(r"<(script|link|img|iframe|object|embed)\b", t, re.I)]
    assert not [t for t in tags if re.search(r"\s(src|on[a-z]+)=", t, re.I)] and "@import" not in html
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', html))
    assert re.findall(r"url\(([^)]*)\)", html) and all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html))
    assert "@media print" in html


def test_plan_text_is_escaped_never_markup(repo):
    _, html, _ = report(repo, fmt="html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=" in html
    _, markdown, _ = report(repo, fmt="markdown")
    assert "<script>" not in markdown and "<img" not in markdown
    data = report_json(repo)
    assert document(data, "shop-marketing-2027.yaml")["title"] == HOSTILE_TITLE


def test_html_shows_pictures_with_text_alternatives_and_tables_with_headers(repo):
    _, html, _ = report(repo, fmt="html")
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert len(svgs) == 1 + 2 + 4  # the grid, two goal trees, four KPI charts
    for tag in svgs:
        assert 'role="img"' in tag
        title, desc = re.search(r'aria-labelledby="(\S+) (\S+)"', tag).groups()
        assert f'<title id="{title}">' in html and f'<desc id="{desc}">' in html
    assert "KPI-CONVERSION (Web conversion rate) drives KPI-REVENUE (Online revenue)." in html
    assert "Baseline 500,000 VND (2026). Target 800,000 VND due 2027-12-31 (increase)." in html
    assert html.count('<th scope="col">') > 20 and '<th scope="row">' in html
    for heading in ("At a glance", "Evidence", "Compliance overview", "Suppressions and waivers", "Goal tree",
                    "KPI progress", "Findings (", "Rules evaluated"):
        assert heading in html


# --- markdown ----------------------------------------------------------------

def test_markdown_is_a_short_summary(repo):
    code, markdown, _ = report(repo, fmt="markdown")
    data = report_json(repo)
    assert code == 0 and markdown.startswith("## KPI plan audit report: failed\n")
    assert data["evidence"]["policy"]["digest"] in markdown
    assert "| `plans/shop-marketing-2027.yaml` | KpiPlan |" in markdown
    assert "| `KPI-AOV` " in markdown and "| latest | 650,000 VND |" in markdown and "| 81% | 1," in markdown
    assert "on track |" in markdown and "KPIs: " in markdown
    assert "`MT002`" in markdown and len(markdown) < len(report(repo, fmt="html")[1]) / 4


# --- json schema -------------------------------------------------------------

def _validator():
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "audit-report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _errors(data: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(data)]


def test_json_report_is_valid_against_its_schema(repo):
    assert _errors(report_json(repo)) == []
    assert _errors(report_json(repo, "--reproducible")) == []


def test_json_report_of_this_repository_and_of_real_gitlab_input_is_valid(tmp_path):
    proc = run_cli("report", "--format", "json", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert _errors(json.loads(proc.stdout)) == []
    source = shared("real-inputs", "gitlab-performance-indicators", "marketing.yml")
    plan = tmp_path / "gitlab-marketing.yaml"
    assert run_cli("import", "gitlab-pi", str(source), "-o", str(plan)).returncode == 0
    proc = run_cli("report", str(plan), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert _errors(data) == []
    doc = data["documents"][0]
    assert doc["counts"]["error"] > 50 and all(k["status"] == "no_data" for k in doc["kpis"])
    assert {n["key"] for n in doc["tree"]["nodes"] if n["placeholder"]} == {"goal:?none", "objective:?none"}


# --- usage -------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["missing-folder"], "no such file or folder: missing-folder"),
    (["plans", "--as-of", "10/04/2027"], "is not a date in the form YYYY-MM-DD"),
    (["plans", "--policy", "nowhere.yaml"], "nowhere.yaml: no such policy file"),
    (["plans", "--format", "pdf"], "'pdf' is not one of"),
    (["plans", "--baseline", "nothing.json"], "cannot read baseline nothing.json"),
])
def test_usage_and_configuration_errors_exit_2_with_one_line(repo, args, message):
    proc = run_cli("report", *args, cwd=repo)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_findings_do_not_change_the_exit_code(repo):
    code, _, _ = report(repo, fmt="html")
    assert code == 0
    assert run_cli("check", "plans", "--as-of", AS_OF, cwd=repo).returncode == 1


def test_a_baseline_is_evidence_and_its_entries_are_waivers_blamed_on_its_last_commit(repo):
    assert run_cli("check", "plans", "--as-of", AS_OF, "--write-baseline", ".kpi-baseline.json", cwd=repo).returncode == 0
    git(repo, "add", ".kpi-baseline.json")
    git(repo, "commit", "-q", "-m", "Accept today's findings")
    data = report_json(repo, "--baseline", ".kpi-baseline.json")
    baseline = data["evidence"]["baseline"]
    assert baseline["path"] == ".kpi-baseline.json"
    assert baseline["sha256"] == hashlib.sha256((repo / ".kpi-baseline.json").read_bytes()).hexdigest()
    assert baseline["git"]["state"] == "committed"
    entry = next(e for e in data["suppressions"] if e["kind"] == "baseline")
    assert entry["rules"] == ["MT002"] and entry["waived_by"]["source"] == "git log"
    assert entry["waived_by"]["summary"] == "Accept today's findings" and entry["until"] is None
    assert data["summary"]["verdict"] == "passed" and _errors(data) == []
    assert report_json(repo)["evidence"]["baseline"] is None


def test_broken_files_get_a_report_too(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "a-syntax.yaml").write_text("kpis: [unclosed\n", encoding="utf-8")
    (folder / "b-binary.yaml").write_bytes(b"title: \x80\x81 garbage\n")
    (folder / "c-empty.yml").write_text("# nothing\n", encoding="utf-8")
    (folder / "d-odd.yaml").write_text(
        "apiVersion: kpi-policies/v1\nkind: KpiPlan\nmetadata: {id: odd, title: 42}\n"
        "kpis:\n  - {id: KPI-X, name: X, baseline: {value: lots}, target: {value: 5, due: 31/12/2027}, direction: sideways,\n"
        "     review: {log: [{date: 2027-01-31, actual: 3}, {date: nope}]}}\n", encoding="utf-8")
    for fmt in ("json", "html", "markdown"):
        proc = run_cli("report", "plans", "--format", fmt, "--as-of", AS_OF, cwd=tmp_path)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        if fmt == "json":
            data = json.loads(proc.stdout)
            assert _errors(data) == []
    kinds = {d["file"]: d for d in data["documents"]}
    syntax = kinds["plans/a-syntax.yaml"]
    assert syntax["kind"] is None and {r["id"]: r["outcome"] for r in syntax["rules"]}["Y001"] == "fail"
    assert {r["id"]: r["note"] for r in syntax["rules"]}["GL001"] == "the file could not be read far enough"
    assert data["evidence"]["files"][1]["sha256"] == hashlib.sha256(b"title: \x80\x81 garbage\n").hexdigest()
    odd = kinds["plans/d-odd.yaml"]
    (kpi,) = odd["kpis"]
    assert kpi["baseline"] is None and kpi["status"] in ("no_data", "not_started") and kpi["reviews"][0]["actual"] == 3
