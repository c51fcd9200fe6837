"""Schema validation (family S): readable messages at exact positions, and schema/model agreement."""

from __future__ import annotations

import json
import typing

import pytest
from pydantic import BaseModel

from kpi_policies import models
from kpi_policies.resources import data_dir, load_schema
from kpi_policies.rules.examples import REFERENCE_PLAN, apply_example
from kpi_policies.schema import SchemaRefusedError, build_validator, iter_errors, validate

from conftest import check_texts, replace


def findings_of(text: str):
    return [(f.rule_id, f.line, f.column, f.message) for f in check_texts({"plan.yaml": text}).findings]


def test_reference_plan_is_clean():
    assert findings_of(REFERENCE_PLAN) == []


def test_impossible_date_is_reported_at_the_value():
    text = replace(REFERENCE_PLAN, {"target: {value: 2.4, due: 2027-12-31}": "target: {value: 2.4, due: 2027-02-30}"})
    found = [f for f in findings_of(text) if f[0].startswith("S")]
    assert len(found) == 1
    rule, line, col, message = found[0]
    assert (rule, line) == ("S001", text.splitlines().index("    target: {value: 2.4, due: 2027-02-30}") + 1)
    assert text.splitlines()[line - 1][col - 1:].startswith("2027-02-30")
    assert "not a real date" in message


def test_quoted_date_is_accepted_like_an_unquoted_one():
    text = replace(REFERENCE_PLAN, {"due: 2027-12-31}": 'due: "2027-12-31"}'})
    assert findings_of(text) == []


def test_misspelt_key_names_the_key_and_suggests():
    text = replace(REFERENCE_PLAN, {"    drivers: [KPI-CONVERSION]\n": "    drivers: [KPI-CONVERSION]\n    tagret: 3\n"})
    (rule, line, col, message), = [f for f in findings_of(text) if f[0].startswith("S")]
    assert rule == "S003"
    assert text.splitlines()[line - 1].strip().startswith("tagret:")
    assert "did you mean 'target'" in message


def test_missing_required_key_points_at_the_parent():
    text = replace(REFERENCE_PLAN, {"  owner: head-of-marketing\n": ""}, 1)
    (rule, line, col, message), = [f for f in findings_of(text) if f[0].startswith("S")]
    assert rule == "S004" and "owner" in message
    assert text.splitlines()[line - 1].startswith("metadata:")


def test_all_schema_errors_are_reported_at_once_and_rules_still_judge_the_rest():
    text = apply_example("""
kpis:
  - id: KPI-REVENUE
    baseline: {value: "48 tỷ", period: 2026}
  - id: KPI-CONVERSION
    direction: sideways
    measurement: {tool: excel}
""")
    found = findings_of(text)
    schema = [f for f in found if f[0].startswith("S")]
    assert len(schema) == 2
    assert any("must be a number" in f[3] for f in schema)
    assert any("sideways" in f[3] and "increase" in f[3] for f in schema)
    ids = [f[0] for f in found]
    # the rules still judge the rest of the plan...
    assert "MT002" in ids
    # ...but do not call the rejected baseline value "missing": the S001 finding says what is wrong
    assert "FE001" not in ids


def test_not_a_mapping_and_unknown_kind():
    assert [f[0] for f in findings_of("- a\n- b\n")] == ["S002"]
    found = findings_of("apiVersion: kpi-policies/v1\nkind: KpiPlna\n")
    assert [f[0] for f in found] == ["S002"] and "did you mean 'KpiPlan'" in found[0][3]


def test_remote_reference_is_refused_not_fetched():
    validator = build_validator({"$ref": "https://example.com/schema.json"})
    with pytest.raises(SchemaRefusedError, match="never fetches"):
        iter_errors(validator, {})


def test_bundled_schemas_are_valid_draft_2020_12():
    import jsonschema

    for path in data_dir("schemas").glob("*.schema.json"):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"].endswith("2020-12/schema")


def test_plan_and_strategy_share_goal_and_period_definitions():
    plan, strategy = load_schema("kpi-plan.schema.json"), load_schema("strategy.schema.json")
    assert plan["$defs"]["goal"] == strategy["$defs"]["goal"]
    assert plan["$defs"]["period"] == strategy["$defs"]["period"]


# --- the schema and the pydantic models must not drift -------------------

def _model_of(annotation):
    """The BaseModel class inside Optional[...] / list[...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found:
            return found
    return None


def _literals(annotation):
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            return set(typing.get_args(arg))
        found = _literals(arg)
        if found:
            return found
    return None


def _compare(model: type[BaseModel], schema: dict, root: dict, where: str):
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    if schema.get("type") == "array":
        return _compare(model, schema["items"], root, where + "[]")
    props = schema.get("properties", {})
    fields = {f.alias or name: f for name, f in model.model_fields.items() if name not in models.INTERNAL_FIELDS}
    assert set(fields) == set(props) - {"apiVersion", "kind"}, f"{where}: model fields and schema properties differ"
    for name, field in fields.items():
        sub = props[name]
        if "$ref" in sub:
            sub = root["$defs"][sub["$ref"].rsplit("/", 1)[-1]]
        if "enum" in sub:
            assert _literals(field.annotation) == set(sub["enum"]), f"{where}.{name}: enum differs"
        inner = _model_of(field.annotation)
        if inner is not None:
            _compare(inner, sub, root, f"{where}.{name}")


@pytest.mark.parametrize("kind,filename", [("KpiPlan", "kpi-plan.schema.json"), ("Strategy", "strategy.schema.json")])
def test_models_mirror_the_schema(kind, filename):
    schema = load_schema(filename)
    _compare(models.MODELS[kind], schema, schema, kind)


def test_validate_returns_kind_and_no_errors_for_reference_plan():
    from kpi_policies.load import load_text

    assert validate(load_text(REFERENCE_PLAN).data) == ("KpiPlan", [])


def test_each_missing_key_is_reported_once():
    text = replace(REFERENCE_PLAN, {"  owner: head-of-marketing\n": "", "  department: marketing\n": ""}, 1)
    found = [f for f in findings_of(text) if f[0] == "S004"]
    assert sorted(f[3] for f in found) == ["metadata is missing required key 'department'", "metadata is missing required key 'owner'"]


def test_messages_name_objects_by_id_and_count_from_one():
    text = replace(replace(REFERENCE_PLAN, {"due: 2027-12-31}": "due: 31/12/2027}"}, 1), {
        "        - {date: 2027-03-31, actual: 2.2}": "        - {date: 2027-03-31, actual: 2.2}\n        - {date: 2027-02-30, actual: 2.2}"})
    messages = [f[3] for f in findings_of(text) if f[0] == "S001"]
    assert "KPI KPI-REVENUE: target.due is '31/12/2027', not a real date in the form YYYY-MM-DD: dates are written year first, `2027-12-31`" in messages
    assert "KPI KPI-CONVERSION: review.log #2.date is '2027-02-30', not a real date in the form YYYY-MM-DD" in messages


def test_a_misspelt_key_is_reported_once_not_again_as_missing():
    text = replace(REFERENCE_PLAN, {"tool: crm": "tol: crm",
                                    "    target: {value: 2.4, due: 2027-12-31}": "    tagret: {value: 2.4, due: 2027-12-31}"})
    assert [(f[0], f[3].split(" (")[0]) for f in findings_of(text)] == [
        ("S003", "unknown key 'tol' in KPI KPI-REVENUE: measurement"),
        ("S003", "unknown key 'tagret' in KPI KPI-CONVERSION"),
    ]


def test_a_number_with_a_thousands_separator_gets_a_hint():
    text = replace(REFERENCE_PLAN, {"value: 2.4,": "value: 2,400,"})
    messages = [f[3] for f in findings_of(text) if f[0] == "S003"]
    assert any("write 2400 if the comma separates thousands, or 2.4 if it is a decimal comma" in m and "'400'" in m for m in messages)


def test_a_decimal_comma_gets_a_hint_that_shows_the_decimal_and_is_not_judged_as_its_whole_part():
    text = REFERENCE_PLAN.replace("target: {value: 2.4,", "target: {value: 2,5,")
    found = findings_of(text)
    hints = [f[3] for f in found if f[0] == "S003"]
    assert any("write 2.5" in m for m in hints), hints
    assert not any("25" in m.replace("2.5", "") for m in hints), hints      # never a hint that leads to 25
    assert not any(f[0] == "FE004" for f in found), found                   # 2 is not taken for the target


def test_fast_and_reference_validators_agree_on_broken_plans():
    """The Rust validator only answers "valid?"; it must agree with the Python reference every time."""
    import random

    from kpi_policies.load import load_text
    from kpi_policies.schema import fast_validator_for, iter_errors, validator_for

    fast = fast_validator_for("KpiPlan")
    if fast is None:
        pytest.skip("jsonschema-rs is not installed")
    base = load_text(REFERENCE_PLAN).data
    rng = random.Random(7)
    bad_values = [None, "", "x", "2027-02-30", "2027-1-5", "20271231", 3, -1.5, True, [], {}, ["a"], {"a": 1},
                  "has space", "KPI 1", 10**30]

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from paths(v, prefix + (i,))

    all_paths = [p for p in paths(base) if p]
    checked = 0
    for _ in range(600):
        doc = json.loads(json.dumps(base))
        for _ in range(rng.choice([1, 1, 2])):
            path = rng.choice(all_paths)
            parent = doc
            try:
                for step in path[:-1]:
                    parent = parent[step]
                if rng.random() < 0.15 and isinstance(parent, dict):
                    parent.pop(path[-1], None)
                elif rng.random() < 0.1 and isinstance(parent, dict):
                    parent[str(path[-1]) + "x"] = 1
                else:
                    parent[path[-1]] = rng.choice(bad_values)
            except (KeyError, IndexError, TypeError):
                continue
        reference = not iter_errors(validator_for("KpiPlan"), doc)
        assert fast.is_valid(doc) == reference, json.dumps(doc)[:300]
        checked += 1
    assert checked == 600
