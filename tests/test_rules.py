"""Every rule: documented where it is defined, and its own examples fail and pass as they say."""

from __future__ import annotations

import re

import pytest

from kpi_policies.engine import Engine
from kpi_policies.load import load_text
from kpi_policies.policy import load_policy
from kpi_policies.result import Severity
from kpi_policies.rules.base import Rule, Violation
from kpi_policies.rules.examples import EXAMPLE_AS_OF, REFERENCE_PLAN, REFERENCE_STRATEGY, apply_example
from kpi_policies.rules.registry import FAMILIES, all_rules, get_rule

from conftest import check_texts, rule_ids, run_cli

RULES = all_rules()


def _run_example(rule: type[Rule], example: str):
    if getattr(rule, "examples_are_files", False):
        files = {"example.yaml": example}
    else:
        files = {"example.yaml": apply_example(example), "strategy.yaml": REFERENCE_STRATEGY}
    # change rules (CH) compare the example with the reference plan as it was
    result = check_texts(files, as_of=EXAMPLE_AS_OF, base=REFERENCE_PLAN if rule.family() == "CH" else None)
    return [f for f in result.findings if f.file == "example.yaml"]


def test_every_family_has_rules_and_ids_are_well_formed():
    families = {r.family() for r in RULES}
    assert families == set(FAMILIES)
    assert len({r.id for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    sections = rule.sections()
    assert rule.summary().endswith("."), "the summary is one sentence"
    assert rule.name.split(".")[0] and "." in rule.name
    assert sections.get("Why it matters"), "rationale missing"
    assert list(sections)[1:].index("Fails") < list(sections)[1:].index("Passes")
    if not getattr(rule, "raw_examples", False):
        assert rule.examples("Fails") and rule.examples("Passes")
    if rule.Params.model_fields:
        assert "Parameters" in sections
        for name in rule.Params.model_fields:
            assert f"`{name}`" in sections["Parameters"]


EXAMPLES = [(r, "Fails", i) for r in RULES for i, _ in enumerate(r.examples("Fails"))] + \
           [(r, "Passes", i) for r in RULES for i, _ in enumerate(r.examples("Passes"))]


@pytest.mark.parametrize("rule,heading,index", EXAMPLES, ids=lambda x: x if isinstance(x, str) else getattr(x, "id", str(x)))
def test_rule_examples_behave_as_documented(rule, heading, index):
    example = rule.examples(heading)[index]
    found = [f.rule_id for f in _run_example(rule, example)]
    if heading == "Fails":
        assert rule.id in found, f"{rule.id} example that fails produced {found}"
    else:
        assert rule.id not in found, f"{rule.id} example that passes was flagged"


def test_explain_prints_exactly_the_rule_documentation():
    rule = get_rule("fe005")
    proc = run_cli("explain", "FE005")
    assert proc.returncode == 0
    assert proc.stdout.startswith("FE005 feasibility.change-beyond-limit (error)\n")
    assert rule.doc() in proc.stdout
    assert "kpi_policies.rules.feasibility" in proc.stdout


def test_explain_unknown_rule_is_a_usage_error_with_a_hint():
    proc = run_cli("explain", "FE05")
    assert proc.returncode == 2
    assert "did you mean" in proc.stderr and "Traceback" not in proc.stderr


def test_explain_reference_prints_a_plan_that_passes(tmp_path):
    proc = run_cli("explain", "--reference")
    assert proc.returncode == 0 and "kind: KpiPlan" in proc.stdout
    (tmp_path / "reference.yaml").write_text(proc.stdout)
    first = run_cli("check", "--no-cache", "--as-of", "2026-12-03", "reference.yaml", cwd=tmp_path)
    assert first.returncode == 0 and "0 errors, 0 warnings" in first.stdout, first.stdout
    # with the review logs uncommented it is the plan the examples are judged against
    logged = re.sub(r"# (- \{date)", r"\1", proc.stdout).replace("# log:", "log:")
    (tmp_path / "reference.yaml").write_text(logged)
    assert load_text(logged).data == load_text(REFERENCE_PLAN).data
    judged = run_cli("check", "--no-cache", "--as-of", EXAMPLE_AS_OF.isoformat(), "reference.yaml", cwd=tmp_path)
    assert judged.returncode == 0 and "0 errors, 0 warnings" in judged.stdout, judged.stdout


def test_rules_lists_every_rule():
    proc = run_cli("rules")
    assert proc.returncode == 0
    for rule in RULES:
        assert rule.id in proc.stdout and rule.summary() in proc.stdout


class _Exploding(Rule):
    """Always crashes.

    ## Why it matters
    Tests that a crash is contained.
    """

    id = "ZZ001"
    name = "test.exploding"

    def check(self, ctx, params):
        yield Violation(("kpis", 0), "first")
        raise ZeroDivisionError("boom")


def test_a_crashing_rule_becomes_a_finding_and_the_others_still_run(monkeypatch):
    from kpi_policies.engine import resolve_policy as engine_module

    monkeypatch.setattr(engine_module, "all_rules", lambda plugins=(): (_Exploding,) + RULES)
    text = apply_example("kpis:\n  - id: KPI-CONVERSION\n    target: {value: 1.0, due: 2027-12-31}\n")
    result = Engine(load_policy(), EXAMPLE_AS_OF).run(["a.yaml"], documents={"a.yaml": load_text(text, "a.yaml")})
    crash = [f for f in result.findings if f.rule_id == "ZZ001"]
    assert len(crash) == 1 and "ZeroDivisionError: boom" in crash[0].message
    assert crash[0].severity is Severity.ERROR
    assert "FE004" in rule_ids(result)


def test_severity_and_enabled_come_from_the_policy(tmp_path):
    from kpi_policies.policy import load_policy as lp

    pack = tmp_path / "policy.yaml"
    pack.write_text("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  FE004: {severity: warning}\n  FE005: {enabled: false}\n")
    text = apply_example("kpis:\n  - id: KPI-REVENUE\n    target: {value: 20000000000, due: 2027-12-31}\n")
    default = check_texts({"a.yaml": text})
    assert {"FE004", "FE005"} <= set(rule_ids(default))
    custom = check_texts({"a.yaml": text}, policy=lp(str(pack)))
    fe = {f.rule_id: f.severity for f in custom.findings if f.rule_id.startswith("FE")}
    assert fe == {"FE004": Severity.WARNING}


def test_driver_cycles_are_found_in_linear_time_on_dense_graphs():
    from kpi_policies.rules.goal_linkage import find_cycles

    # every KPI driven by every later one: no cycle, and 2**40 paths a naive search would walk
    ids = [f"K{i}" for i in range(40)]
    dense = {k: ids[i + 1:] for i, k in enumerate(ids)}
    assert find_cycles(dense) == []
    dense["K39"] = ["K0"]
    assert find_cycles(dense) == [ids]
    assert find_cycles({"A": ["A"]}) == [["A"]]


def test_docs_rules_md_is_current():
    from conftest import ROOT
    from kpi_policies.docs import rules_markdown

    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(RULES), "docs/rules.md is out of date: run `kpi-policies rules --format markdown > docs/rules.md`"
