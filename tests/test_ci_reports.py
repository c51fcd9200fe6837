"""Reports at the limits real CI consumers have: JUnit readers, SARIF ingestion, annotation and summary caps."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from kpi_policies.report import github, junit, markdown, sarif
from kpi_policies.result import FileResult, Finding, RunResult, Severity
from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import AS_OF, ROOT, check_texts, run_cli, shared

CONVERSION = REFERENCE_PLAN[REFERENCE_PLAN.index("  - id: KPI-CONVERSION"):REFERENCE_PLAN.index("initiatives:")]


def plan_with_unapproved_tools(n: int, plan_id: str = "many", waive: int = 0) -> str:
    """The reference plan plus ``n`` KPIs measured with an unapproved tool (MT002 each); the first ``waive`` waived inline."""
    extra = ""
    for i in range(n):
        kpi = CONVERSION.replace("KPI-CONVERSION", f"KPI-EXTRA-{i}").replace("tool: google-analytics-4", "tool: my-spreadsheet")
        if i < waive:
            kpi = kpi.replace("    measurement:", '    # kpi-policies: ignore[MT002] reason="pilot tool, approved by the CMO"\n    measurement:')
        extra += kpi
    return REFERENCE_PLAN.replace("shop-marketing-2027", plan_id).replace("initiatives:", extra + "initiatives:")


# --- JUnit --------------------------------------------------------------------

def test_junit_gives_each_finding_its_own_case_and_counts_skipped_suppressions():
    result = check_texts({"many.yaml": plan_with_unapproved_tools(5, waive=2), "good.yaml": REFERENCE_PLAN})
    root = ET.fromstring(junit.render(result))
    suite = next(s for s in root.findall("testsuite") if s.get("name") == "many.yaml")
    cases = suite.findall("testcase")
    assert all(len(c.findall("failure")) + len(c.findall("skipped")) <= 1 for c in cases)
    mt002 = [c for c in cases if c.get("name").startswith("MT002 ")]
    assert len(mt002) == 5 and len({c.get("name") for c in mt002}) == 5
    assert sum(1 for c in mt002 if c.find("failure") is not None) == 3
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(skipped) == 2 and "pilot tool, approved by the CMO" in skipped[0].find("skipped").get("message")
    assert suite.get("skipped") == "2" and suite.get("failures") == "3" and suite.get("tests") == str(len(cases))
    assert root.get("failures") == "3"


def test_junit_is_valid_and_junitparser_reads_back_every_finding(tmp_path):
    import xmlschema
    from junitparser import Failure, JUnitXml, Skipped

    result = check_texts({"many.yaml": plan_with_unapproved_tools(34, waive=4), "good.yaml": REFERENCE_PLAN,
                          "broken.yaml": "a: [\x01"})
    text = junit.render(result)
    try:
        schema = xmlschema.XMLSchema(str(shared("external-schemas", "junit-10.xsd")))
    except pytest.skip.Exception:
        schema = None
    if schema is not None:
        schema.validate(text)
    path = tmp_path / "junit.xml"
    path.write_text(text, encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    failures, skipped = [], []
    for suite in xml:
        counted = 0
        for case in suite:
            for r in case.result:
                if isinstance(r, Failure):
                    failures.append(r.text)
                    counted += 1
                elif isinstance(r, Skipped):
                    skipped.append(r.message)
        assert suite.failures == counted
    expected = [f"{f.file}:{f.line}:{f.column}: {f.rule_id} {f.severity.value}: {f.message}" for f in result.active]
    assert sorted(failures) == sorted(expected) and len(failures) == len(result.active) > 30
    assert len(skipped) == result.suppressed == 4
    assert xml.tests == sum(len(list(s)) for s in xml)


# --- SARIF --------------------------------------------------------------------

def test_every_sarif_rule_has_a_help_uri_into_docs_rules_md(tmp_path):
    log = sarif.build(check_texts({str(tmp_path / "a.yaml"): REFERENCE_PLAN}), root=str(tmp_path))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    anchors = set(re.findall(r"^### ([A-Z]+[0-9]+)$", (ROOT / "docs" / "rules.md").read_text(), re.M))
    assert len(rules) > 40
    for rule in rules:
        uri = rule["helpUri"]
        assert uri.startswith("https://github.com/kpi-policies/kpi-policies/blob/main/docs/rules.md#")
        assert uri.endswith("#" + rule["id"].lower()) and rule["id"] in anchors


def _git_repo(path):
    (path / ".git").mkdir(parents=True)
    (path / "plans").mkdir()
    (path / "plans" / "bad plan.yaml").write_text(REFERENCE_PLAN.replace("tool: crm", "tool: my-spreadsheet"))
    (path / "plans" / "sub").mkdir()
    return path


@pytest.mark.parametrize("start", ["workspace", "workspace/repo", "workspace/repo/plans/sub", "outside"])
def test_sarif_uris_are_relative_to_the_repository_root_wherever_the_command_starts(tmp_path, start):
    workspace = tmp_path / "workspace"
    repo = _git_repo(workspace / "repo")
    (tmp_path / "outside").mkdir()
    cwd = tmp_path / start
    target = {"workspace": "repo/plans", "workspace/repo": "plans", "workspace/repo/plans/sub": "..", "outside": str(repo / "plans")}[start]
    proc = run_cli("check", "--as-of", "2027-04-10", "--no-cache", "--format", "sarif", "--output", "out.sarif", target,
                   cwd=cwd, env={"GITHUB_WORKSPACE": str(workspace)})
    assert proc.returncode == 1, proc.stderr
    log = json.loads((cwd / "out.sarif").read_text())
    run = log["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "MT002"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "plans/bad%20plan.yaml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"


def test_sarif_and_junit_describe_plugin_rules_the_run_used(tmp_path, monkeypatch):
    """A plugin rule with a finding: SARIF used to fail with UnknownRuleError, JUnit dropped its name."""
    import kpi_policies.engine.resolve_policy as run_module
    from kpi_policies.rules.base import Rule, Violation
    from kpi_policies.rules.registry import all_rules

    class NoNobody(Rule):
        """KPI owned by nobody.

        ## Why it matters
        Someone must answer for a KPI.
        """

        id = "ZZ001"
        name = "example.no-nobody"
        severity = Severity.WARNING

        def check(self, ctx, params):
            for i, kpi in enumerate(ctx.plan.kpis):
                yield Violation(("kpis", i, "id"), f"KPI {kpi.id} is checked by a plugin")

    monkeypatch.setattr(run_module, "all_rules", lambda plugins=(): list(all_rules()) + [NoNobody])
    result = check_texts({str(tmp_path / "a.yaml"): REFERENCE_PLAN})
    assert any(f.rule_id == "ZZ001" for f in result.findings)
    log = sarif.build(result, root=str(tmp_path))
    (rule,) = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "ZZ001"]
    assert rule["name"] == "example.no-nobody" and rule["shortDescription"]["text"] == "KPI owned by nobody."
    assert rule["fullDescription"]["text"] == "Someone must answer for a KPI." and rule["defaultConfiguration"]["level"] == "warning"
    names = [c.get("name") for c in ET.fromstring(junit.render(result)).iter("testcase")]
    assert any(n.startswith("ZZ001 example.no-nobody at line ") for n in names)


# --- GitHub annotations -------------------------------------------------------

def _finding(i, severity):
    return Finding(rule_id="FE004", severity=severity, message=f"m{i}", file="plans/a.yaml", line=i + 1, column=1,
                   rule_name="feasibility.target-direction")


def _result(findings):
    return RunResult(files=[FileResult(path="plans/a.yaml", findings=findings)], as_of="2027-04-10")


def test_annotations_stay_within_github_limits_most_severe_first_and_say_what_is_left_out():
    findings = [_finding(i, Severity.INFO) for i in range(15)] + [_finding(100 + i, Severity.WARNING) for i in range(12)] + \
               [_finding(200 + i, Severity.ERROR) for i in range(11)]
    lines = github.render(_result(findings)).splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"] * 10
    assert lines[0].endswith("::m200")
    assert "9 more finding(s) are not annotated here" in lines[-1] and "all 38 are in the job summary and the SARIF report" in lines[-1]


def test_annotations_under_the_limits_are_all_there_without_a_note():
    findings = [_finding(i, Severity.INFO) for i in range(10)] + [_finding(100 + i, Severity.ERROR) for i in range(10)]
    lines = github.render(_result(findings)).splitlines()
    assert len(lines) == 20 and not any("more finding" in line for line in lines)


# --- Markdown summary ---------------------------------------------------------

def test_markdown_escapes_plan_text_so_it_shows_as_written():
    message = "KPI `x` of Tom &copy; Jerry | <b>bold</b>\nnext line"
    f = Finding(rule_id="FE004", severity=Severity.ERROR, message=message, file="plans/a.yaml", line=1, column=1)
    fr = FileResult(path="plans/a.yaml", doc_id="p&amp;|x", findings=[f])
    text = markdown.render(RunResult(files=[fr], as_of="2027-04-10"), root=".")
    row = next(line for line in text.splitlines() if line.startswith("| [1:1]"))
    assert "KPI \\`x\\` of Tom &amp;copy; Jerry \\| &lt;b&gt;bold&lt;/b&gt; next line" in row
    assert row.count(" | ") == 3 and "<b>" not in text and "&copy;" not in text.replace("&amp;copy;", "")
    assert "(p&amp;amp;\\|x)" in text


def test_markdown_summary_is_capped_well_under_a_mebibyte_and_says_what_was_left_out():
    findings = [Finding(rule_id="FE004", severity=Severity.ERROR, message="x" * 150, file=f"plans/p{i // 10}.yaml",
                        line=i % 10 + 1, column=1) for i in range(8000)]
    files = [FileResult(path=f"plans/p{k}.yaml", findings=[f for f in findings[k * 10:(k + 1) * 10]]) for k in range(800)]
    text = markdown.render(RunResult(files=files, as_of="2027-04-10"), root=".")
    assert len(text.encode("utf-8")) <= markdown.MAX_BYTES
    shown = sum(1 for line in text.splitlines() if line.startswith("| [") and "`FE004`" in line)
    assert 1000 < shown < 8000
    note = re.search(r"\*\*(\d+) finding\(s\) in (\d+) file\(s\) are not listed here\*\*", text)
    assert note and int(note.group(1)) == 8000 - shown and "SARIF and JSON reports" in text
