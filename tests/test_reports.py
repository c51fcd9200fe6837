"""Report formats: GitHub annotations, SARIF, JUnit and Markdown, as their consumers read them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from kpi_policies.report import github, junit, markdown, sarif
from kpi_policies.result import FileResult, Finding, RunResult, Severity
from kpi_policies.rules.examples import REFERENCE_PLAN, apply_example

from conftest import check_texts, replace, run_cli, shared


def _finding(file="plans/a.yaml", line=3, column=5, severity=Severity.ERROR, message="m", rule_id="FE004", pointer="/kpis/0"):
    return Finding(rule_id=rule_id, severity=severity, message=message, file=file, line=line, column=column,
                   plan_id="p", pointer=pointer, rule_name="feasibility.target-direction")


def _result(findings, files=None):
    files = files or sorted({f.file for f in findings})
    return RunResult(files=[FileResult(path=p, kind="KpiPlan", doc_id="p", findings=[f for f in findings if f.file == p],
                                       rules_evaluated=["Y001", "S001", "FE004", "KF002"]) for p in files],
                     as_of="2027-04-10", rules_run=["Y001", "S001", "FE004", "KF002"])


# --- GitHub workflow commands ------------------------------------------------

def _unescape(text):
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_commands_escape_paths_and_messages_as_the_toolkit_does():
    f = _finding(file="plans/a,b:c.yaml", message="target is 100% above\nits baseline")
    (line,) = github.render(_result([f])).splitlines()
    assert line == ("::error file=plans/a%2Cb%3Ac.yaml,line=3,endLine=3,col=5,title=FE004 feasibility.target-direction"
                    "::target is 100%25 above%0Aits baseline")
    props, message = line[len("::error "):].split("::", 1)
    fields = dict(p.split("=", 1) for p in props.split(","))
    assert _unescape(fields["file"]) == "plans/a,b:c.yaml"
    assert _unescape(message) == "target is 100% above\nits baseline"


@pytest.mark.parametrize("severity,command", [(Severity.ERROR, "::error "), (Severity.WARNING, "::warning "), (Severity.INFO, "::notice ")])
def test_github_command_per_severity(severity, command):
    assert github.render(_result([_finding(severity=severity)])).startswith(command)


# --- SARIF ------------------------------------------------------------------

def _sarif_for(text: str, tmp_path: Path, name="plans/my plan.yaml") -> dict:
    result = check_texts({str(tmp_path / name): text})
    return sarif.build(result, root=str(tmp_path))


BAD = apply_example("kpis:\n  - id: KPI-CONVERSION\n    direction: decrease\n    measurement: {tool: excel}\n")


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(tmp_path):
    schema = json.loads(shared("external-schemas", "sarif-schema-2.1.0.json").read_text())
    log = _sarif_for(BAD, tmp_path)
    jsonschema.Draft4Validator(schema).validate(log)
    log_clean = _sarif_for(REFERENCE_PLAN, tmp_path)
    jsonschema.Draft4Validator(schema).validate(log_clean)


def test_sarif_run_carries_rules_and_located_results(tmp_path):
    log = _sarif_for(BAD, tmp_path)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kpi-policies" and driver["version"] and driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert {"Y001", "S001", "GL001", "FE004", "MT002", "KF002"} <= set(ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run["results"]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "plans/my%20plan.yaml"
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
    assert {r["ruleId"] for r in run["results"]} >= {"KF002", "MT002"}


def test_sarif_fingerprints_survive_unrelated_line_moves(tmp_path):
    before = _sarif_for(BAD, tmp_path)["runs"][0]["results"]
    moved = "# a new comment\n# and another\n" + replace(BAD, {"kind: KpiPlan\n": "kind: KpiPlan\n\n\n"})
    after = _sarif_for(moved, tmp_path)["runs"][0]["results"]
    key = lambda r: (r["ruleId"], r["partialFingerprints"]["kpiPolicies/v1"])
    assert sorted(map(key, before)) == sorted(map(key, after))
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before] != \
           [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after]
    assert len({r["partialFingerprints"]["kpiPolicies/v1"] for r in before}) == len(before)


def test_sarif_over_the_limit_keeps_the_most_severe_and_says_so(monkeypatch):
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    findings = [_finding(line=i, severity=Severity.WARNING, pointer=f"/w{i}") for i in range(1, 6)] + \
               [_finding(line=10 + i, severity=Severity.ERROR, pointer=f"/e{i}") for i in range(2)]
    log = sarif.build(_result(findings), root=".")
    run = log["runs"][0]
    assert [r["level"] for r in run["results"]] == ["warning", "error", "error"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert "4 of 7 results were left out" in note["message"]["text"]


def test_file_level_finding_points_at_line_one(tmp_path):
    log = _sarif_for("", tmp_path, name="plans/empty.yaml")
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1}


# --- JUnit ------------------------------------------------------------------

def test_junit_is_valid_against_the_xunit_schema(tmp_path):
    import xmlschema

    schema = xmlschema.XMLSchema(str(shared("external-schemas", "junit-10.xsd")))
    result = check_texts({"good.yaml": REFERENCE_PLAN, "bad.yaml": replace(BAD, {"shop-marketing-2027": "bad"}), "broken.yaml": "a: [\x01"})
    schema.validate(junit.render(result))


def test_junit_has_a_suite_per_file_a_case_per_rule_and_a_failure_per_finding():
    result = check_texts({"good.yaml": REFERENCE_PLAN, "bad.yaml": replace(BAD, {"shop-marketing-2027": "bad"})})
    root = ET.fromstring(junit.render(result))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"good.yaml", "bad.yaml"}
    good = suites["good.yaml"]
    assert good.get("failures") == "0" and int(good.get("tests")) == len(good.findall("testcase")) > 40
    bad_cases = {c.get("name").split()[0]: c for c in suites["bad.yaml"].findall("testcase")}
    failures = [f for c in bad_cases.values() for f in c.findall("failure")]
    assert len(failures) == len([f for f in result.findings if f.file == "bad.yaml"])
    assert bad_cases["KF002"].find("failure").get("type") == "error"
    assert bad_cases["GL001"].find("failure") is None


# --- Markdown ---------------------------------------------------------------

def test_markdown_summarises_counts_rules_and_links_lines(monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/plans")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    findings = [_finding(message="x | y <script>alert(1)</script>"), _finding(line=9, severity=Severity.WARNING, rule_id="KF004", pointer="/k")]
    text = markdown.render(_result(findings, files=["plans/a.yaml", "plans/ok.yaml"]), root=".")
    assert text.startswith("## kpi-policies: failed")
    assert "**1 error(s)**, 1 warning(s)" in text
    assert "| `FE004` | feasibility.target-direction | error | 1 |" in text
    assert "[3:5](https://github.com/acme/plans/blob/abc123/plans/a.yaml#L3)" in text
    assert "<script>" not in text and "x \\| y &lt;script&gt;" in text
    assert "1 file(s) passed every rule: `plans/ok.yaml`" in text


def test_markdown_without_github_uses_relative_links(monkeypatch):
    for var in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(var, raising=False)
    text = markdown.render(_result([_finding()]), root=".")
    assert "[3:5](plans/a.yaml#L3)" in text


# --- command line ------------------------------------------------------------

def test_several_formats_in_one_run(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(BAD)
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "sarif", "--output", "a.sarif", "--format", "junit",
                   "--output", "b.xml", "--format", "github", "plan.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert json.loads((tmp_path / "a.sarif").read_text())["runs"][0]["results"]
    assert ET.fromstring((tmp_path / "b.xml").read_text()).tag == "testsuites"
    assert proc.stdout.startswith("::error file=plan.yaml,")


@pytest.mark.parametrize("fail_on,code", [("error", 0), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_decides_the_exit_code_apart_from_what_is_shown(tmp_path, fail_on, code):
    plan = tmp_path / "plan.yaml"
    plan.write_text(replace(REFERENCE_PLAN, {"goals:\n": "goals:\n  - {id: G-BRAND, title: Brand, type: brand_awareness}\n"}))
    proc = run_cli("check", "--as-of", "2027-04-10", "--fail-on", fail_on, "plan.yaml", cwd=tmp_path)
    assert proc.returncode == code and "GL010 warning" in proc.stdout


def test_fail_on_never_exits_zero_on_findings_but_two_on_usage_errors(tmp_path):
    (tmp_path / "plan.yaml").write_text(BAD)
    assert run_cli("check", "--fail-on", "never", "plan.yaml", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--fail-on", "never", "missing.yaml", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("args,message", [
    (["--format", "json", "--format", "sarif"], "only one --format can go to standard output"),
    (["--output", "a", "--output", "b"], "--output given for 1 --format"),
])
def test_format_and_output_pairing_errors(tmp_path, args, message):
    (tmp_path / "plans").mkdir()
    proc = run_cli("check", *args, "plans", cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr
