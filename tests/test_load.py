"""Loading: positions, the YAML 1.2 core schema, and every way a file can be unreadable (family Y)."""

from __future__ import annotations

import codecs
import os

import pytest

from kpi_policies.load import MAX_DEPTH, _c_parser, load_bytes, load_text


@pytest.fixture(autouse=True, params=["c-parser", "pure-parser"])
def parser(request, monkeypatch):
    """Every loading test runs on both parsers: ruamel.yaml's C parser and its pure-Python one."""
    if request.param == "pure-parser":
        monkeypatch.setenv("KPI_POLICIES_PURE_YAML", "1")
    else:
        monkeypatch.delenv("KPI_POLICIES_PURE_YAML", raising=False)
        if _c_parser() is None:
            pytest.skip("ruamel.yaml.clib is not installed")
    return request.param

PLAN = """\
# comment line
apiVersion: kpi-policies/v1
kind: KpiPlan
metadata:
  id: demo
kpis:
  - id: KPI-A
    target: {value: 10, due: 2027-12-31}
    measurement:
      tool: crm
"""


def problems(doc):
    return [(p.rule_id, p.line, p.column) for p in doc.problems]


def test_positions_are_one_based_for_values_and_keys():
    doc = load_text(PLAN)
    assert doc.problems == []
    assert doc.locate(("kind",)) == (3, 7)
    assert doc.locate(("kpis", 0, "target", "value")) == (8, 21)
    assert doc.locate(("kpis", 0, "measurement", "tool")) == (10, 13)
    assert doc.key_positions[("kpis", 0, "measurement", "tool")] == (10, 7)


def test_missing_key_points_at_its_parent_key():
    doc = load_text(PLAN)
    # measurement has no `source`: the nearest existing node is the `measurement:` key
    assert doc.locate(("kpis", 0, "measurement", "source"), on_key=True) == (9, 5)


@pytest.mark.parametrize("prefix,newline", [(b"", b"\n"), (codecs.BOM_UTF8, b"\n"), (b"", b"\r\n"), (codecs.BOM_UTF8, b"\r\n")])
def test_bom_and_crlf_change_nothing(prefix, newline):
    raw = prefix + PLAN.encode().replace(b"\n", newline)
    doc = load_bytes(raw)
    assert doc.problems == []
    assert doc.data == load_text(PLAN).data
    assert doc.locate(("kpis", 0, "measurement", "tool")) == (10, 13)


def test_utf16_with_bom_is_read():
    doc = load_bytes(codecs.BOM_UTF16_LE + PLAN.encode("utf-16-le"))
    assert doc.problems == [] and doc.data["metadata"]["id"] == "demo"


def test_undecodable_bytes_point_at_the_byte():
    doc = load_bytes(b"a: 1\nb: Doanh thu \xe1\n")
    assert problems(doc) == [("Y003", 2, 14)]
    assert "UTF-8" in doc.problems[0].message
    assert not doc.usable


def test_quoted_and_unquoted_dates_are_the_same_text():
    doc = load_text('a: 2027-01-31\nb: "2027-01-31"\nc: 2027-02-30\n')
    assert doc.data == {"a": "2027-01-31", "b": "2027-01-31", "c": "2027-02-30"}


def test_yaml_12_core_schema_scalars():
    doc = load_text("a: yes\nb: on\nc: 0o17\nd: 0x1F\ne: 010\nf: 1.5e3\ng: ~\nh: TRUE\ni: !!str 12\nj: '12'\n")
    assert doc.data == {"a": "yes", "b": "on", "c": 15, "d": 31, "e": 10, "f": 1500.0, "g": None, "h": True, "i": "12", "j": "12"}


@pytest.mark.parametrize("text", ["a: .nan\n", "a: .inf\n", "a: -.Inf\n", "a: 1e999\n"])
def test_nan_and_infinity_are_rejected(text):
    doc = load_text(text)
    assert problems(doc) == [("Y007", 1, 4)]
    assert doc.data == {"a": None}


def test_duplicate_key_reports_the_second_and_keeps_the_first():
    doc = load_text("metadata:\n  owner: a\n  owner: b\n")
    assert problems(doc) == [("Y002", 3, 3)]
    assert "first at line 2" in doc.problems[0].message
    assert doc.data == {"metadata": {"owner": "a"}}


def test_unclosed_bracket_points_at_its_opening_in_plain_words():
    doc = load_text("a:\n  drivers: [x, y\n  measurement: 1\n")
    (problem,) = doc.problems
    assert (problem.rule_id, problem.line, problem.column) == ("Y001", 2, 12)
    assert problem.message.startswith("the list opened with '[' here is not closed: add ']'")
    assert "gave up on line 3" in problem.message
    assert not doc.usable


@pytest.mark.parametrize("text,line,start", [
    ("a:\n\tb: 1\n", 2, "a tab character here: YAML indents with spaces only"),
    ("note: Sale: ROAS dropped\n", 1, "unexpected ':' here: quote a value"),
    ("a:\n  b: 1\n c: 2\n", 3, "this line is indented differently"),
    ("title: 'Doanh thu\nb: 2\n", 1, "the quoted text opened here is never closed"),
])
def test_common_syntax_mistakes_are_explained(text, line, start):
    (problem,) = load_text(text).problems
    assert problem.line == line and problem.message.startswith(start)


@pytest.mark.parametrize("text,what", [("", "empty"), ("\n\n   \n", "empty"), ("# only\n  # comments\n", "only comments"), ("---\n...\n", "empty"), ("~\n", "empty")])
def test_empty_and_comment_only_files(text, what):
    doc = load_text(text)
    assert [p.rule_id for p in doc.problems] == ["Y004"]
    assert what in doc.problems[0].message


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
    doc = load_text("\n".join(lines) + "\n")
    assert doc.problems[0].rule_id == "Y005"
    assert "expand" in doc.problems[0].message
    assert doc.problems[0].line <= 10
    assert not doc.usable


def test_recursive_and_undefined_aliases():
    assert problems(load_text("a: &x [1, *x]\n")) == [("Y005", 1, 11)]
    assert problems(load_text("a: *nowhere\n")) == [("Y005", 1, 4)]


def test_ordinary_aliases_and_merge_keys_work():
    doc = load_text("owner: &o head\nreviewer: *o\nbase: &b {x: 1, y: 2}\nkpi: {<<: *b, y: 3}\n")
    assert doc.problems == []
    assert doc.data["reviewer"] == "head"
    assert doc.data["kpi"] == {"x": 1, "y": 3}


def test_very_deep_nesting_is_a_finding_not_a_crash():
    deep = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    doc = load_text(deep)
    assert [p.rule_id for p in doc.problems] == ["Y006"]
    assert doc.problems[0].line == 1
    shallow = "a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n"
    assert load_text(shallow).problems == []


def test_second_document_is_reported_and_first_kept():
    doc = load_text("a: 1\n---\nb: 2\n")
    assert problems(doc) == [("Y008", 2, 1)]
    assert doc.data == {"a": 1}


def test_complex_key_is_reported():
    doc = load_text("? [a, b]\n: c\nd: e\n")
    assert [p.rule_id for p in doc.problems] == ["Y009"]
    assert doc.data == {"d": "e"}


def test_control_character_is_an_encoding_finding():
    doc = load_text("a: 1\nb: x\x07y\n")
    assert [(p.rule_id, p.line) for p in doc.problems] == [("Y003", 2)]


@pytest.mark.skipif(_c_parser() is None, reason="libyaml's binding (ruamel.yaml.clib) is not installed")
def test_one_step_events_read_every_file_exactly_as_ruamel_yamls_own_classes(monkeypatch):
    """The loader has libyaml's binding make lighter events; documents, positions and problems stay the same,
    and the binding has its own classes back after every file, read or refused."""
    import sys
    from pathlib import Path

    import kpi_policies.load as load

    if os.environ.get("KPI_POLICIES_PURE_YAML"):
        pytest.skip("the one-step events belong to libyaml's binding")
    binding = sys.modules["_ruamel_yaml"]
    own = {name: getattr(binding, name) for name in load._ONE_STEP}
    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text(encoding="utf-8") for p in sorted([*root.glob("examples/**/*.yaml"), *root.glob("docs/examples/*.yaml"),
                                                            *root.glob("tests/fixtures/**/*.yaml")])]
    texts += ["a: &x {b: [1, 2]}\nc: *x\n<<: *x\n", "k: [unclosed\n", "- !!str 1\n- 'q'\n- |\n  block\n", "x: .nan\n"]
    assert len(texts) > 8

    def read_all():
        out = []
        for text in texts:
            doc = load_text(text)
            out.append((doc.data, doc.positions, doc.key_positions, doc.problems, doc.scalar_spans))
            assert {name: getattr(binding, name) for name in load._ONE_STEP} == own
        return out

    made = []
    original = load._one_step_events

    def watched(module):
        made.append(module)
        return original(module)

    monkeypatch.setattr(load, "_one_step_events", watched)
    load._one_step_fits.cache_clear()
    fast = read_all()
    assert made and load._one_step_fits()
    monkeypatch.setitem(load._SIGNATURES, "ScalarEvent", ("self", "a parameter this ruamel.yaml does not have"))
    load._one_step_fits.cache_clear()
    try:
        assert read_all() == fast  # with ruamel.yaml's own classes (a version whose constructors differ)
    finally:
        load._one_step_fits.cache_clear()


_NOT_FINITE = object()


def _core_schema_reference(value: str):
    """The YAML 1.2 core schema's tag resolution (section 10.3.2) as its table reads: every form tried in turn."""
    import re

    table = [(r"~|null|Null|NULL|", lambda v: None), (r"true|True|TRUE", lambda v: True), (r"false|False|FALSE", lambda v: False),
             (r"[-+]?[0-9]+", int), (r"0o[0-7]+", lambda v: int(v[2:], 8)), (r"0x[0-9a-fA-F]+", lambda v: int(v[2:], 16)),
             (r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", float),
             (r"[-+]?\.(?:inf|Inf|INF)", lambda v: _NOT_FINITE), (r"\.(?:nan|NaN|NAN)", lambda v: _NOT_FINITE)]
    for pattern, convert in table:
        if re.fullmatch(pattern, value):
            return convert(value)
    return value


@pytest.mark.parametrize("value", ["", "~", "null", "Null", "nul", "nan", ".nan", ".NaN", "-.inf", "+.Inf", ".inf", "true", "TRUE",
                                   "tRue", "false", "yes", "no", "on", "0", "00", "-0", "+12", "0o17", "0o8", "0x1F", "0xg", "1.5",
                                   "1.", "-.5", ".5", "1e5", "1E+5", "2026-01-28", "2,5", "585.000", "1_000", "0b101", "-", "+",
                                   ".", " 1", "inf", "NaN", "@x", "(1)", "Tết", "~x", "n1", "t", "F"])
def test_plain_scalars_resolve_as_the_core_schema_table_reads(value):
    from kpi_policies.load import resolve_scalar

    expected = _core_schema_reference(value)
    got, problem = resolve_scalar(value, None, None)
    if expected is _NOT_FINITE:
        assert got is None and problem
    else:
        assert (got, problem) == (expected, None) and type(got) is type(expected)
