"""Property-based test: this repository's plans, mutated at random, never break a run or its reports.

Each example takes one plan of plans/, deletes, duplicates or re-indents lines
and inserts characters (YAML indicators, quotes, tabs, control characters,
line separators), then checks the file in-process with both YAML parsers.
Invariants: no exception; the JSON, SARIF and JUnit reports parse (SARIF also
against the SARIF 2.1.0 schema when ../shared is there); every finding lies on
a line and column of the file; both parsers give the same verdict, and the
same rules when both read the file (one known difference is allowed: the
pure-Python parser rejects a tab inside a line, which libyaml and YAML 1.2
accept). Bounded to about half a minute in CI (250 examples, always the same
ones); set ``KPI_POLICIES_FUZZ_EXAMPLES`` to run more, drawn afresh each time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import xml.etree.ElementTree as ET
from contextlib import contextmanager

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from kpi_policies import report  # noqa: E402

from conftest import PARSERS, ROOT, SHARED, check_texts  # noqa: E402

PLANS = {f"plans/{p.name}": p.read_text(encoding="utf-8") for p in sorted((ROOT / "plans").glob("*.yaml"))}
STRATEGY = next((name for name, text in PLANS.items() if "kind: Strategy" in text), None)
AS_OF = dt.date(2026, 12, 3)
LINE_BREAK = re.compile(r"\r\n|\r|\n")
EXAMPLES = int(os.environ.get("KPI_POLICIES_FUZZ_EXAMPLES", "0"))


def _sarif_validator():
    path = SHARED / "external-schemas" / "sarif-schema-2.1.0.json"
    if not path.exists():
        return None  # the schema part is skipped; the JSON must still parse
    import jsonschema

    return jsonschema.Draft4Validator(json.loads(path.read_text(encoding="utf-8")))


SARIF = _sarif_validator()

#: Characters that matter to YAML, to the loader or to the reports, plus any character at all.
TRICKY = st.sampled_from(list(":-[]{}'\"#&*!|>%@`,?\\ \t\r\n") + ["\u2028", "\u2029", "\x85", "\x00", "\x1b", "\x7f",
                                                                    "\ufeff", "\u00a0", "\u201c", "\u2019", "ệ", "\U0001f600"])
CHARS = st.one_of(TRICKY, st.characters(codec="utf-8"))

EDIT = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.integers(0, 200), st.text(CHARS, min_size=1, max_size=6)),
    st.tuples(st.just("indent"), st.integers(0, 10_000), st.integers(-4, 4)),
)


def mutate(text: str, edits, final_newline: bool) -> str:
    lines = text.splitlines(keepends=True)
    for edit in edits:
        if not lines:
            lines = [""]
        i = edit[1] % len(lines)
        if edit[0] == "delete":
            del lines[i]
        elif edit[0] == "duplicate":
            lines.insert(i, lines[i])
        elif edit[0] == "insert":
            at = edit[2] % (len(lines[i]) + 1)
            lines[i] = lines[i][:at] + edit[3] + lines[i][at:]
        else:
            body = lines[i].lstrip(" ")
            lines[i] = " " * max(0, len(lines[i]) - len(body) + edit[2]) + body
    out = "".join(lines)
    return out if final_newline else out.rstrip("\n")


@contextmanager
def parser(name: str):
    saved = {key: os.environ.get(key) for key in PARSERS["pure-parser"]}
    os.environ.update(PARSERS[name])
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(name: str, text: str, parser_name: str):
    files = {name: text}
    if STRATEGY and name != STRATEGY:  # plans point at the company strategy: check them together, as the repository is
        files[STRATEGY] = PLANS[STRATEGY]
    with parser(parser_name):
        result = check_texts(files, as_of=AS_OF)
        rendered = {fmt: report.render(fmt, result) for fmt in report.FORMATS}
    return result, rendered


def check_invariants(name: str, text: str, result, rendered) -> None:
    json.loads(rendered["json"])
    log = json.loads(rendered["sarif"])
    if SARIF is not None:
        SARIF.validate(log)
    ET.fromstring(rendered["junit"].encode("utf-8"))
    lines = LINE_BREAK.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    for finding in result.findings:
        if finding.file != name:
            continue
        where = f"{finding.rule_id} at {finding.line}:{finding.column} of a {len(lines)}-line file: {finding.message}"
        assert 1 <= finding.line <= len(lines), where
        assert 1 <= finding.column <= len(lines[finding.line - 1]) + 1, where


def verdict(result, name: str):
    mine = [f for f in result.findings if f.file == name]
    return any(f.active and f.severity.value == "error" for f in mine), sorted({f.rule_id for f in mine})


def pure_parser_tab_deviation(result, name: str) -> bool:
    """ruamel.yaml's pure-Python scanner rejects a tab after the start of a line's content (``a: b\tc``),
    which YAML 1.2 and libyaml accept: a known difference of the parser used only where libyaml is missing."""
    return any(f.file == name and f.rule_id == "Y001" and "tab" in f.message for f in result.findings)


def assert_parsers_agree(text: str, c_result, pure_result, name: str) -> None:
    c, pure = verdict(c_result, name), verdict(pure_result, name)
    if c[0] != pure[0] and not c[0] and pure_parser_tab_deviation(pure_result, name):
        return
    assert c[0] == pure[0], f"the parsers disagree on the verdict ({c} against {pure}) of {text!r}"
    if not any(rule.startswith("Y") for rule in c[1] + pure[1]):  # both read the file: the same rules fire
        assert c[1] == pure[1], f"the parsers disagree on the rules ({c} against {pure}) of {text!r}"


@pytest.mark.skipif(not PLANS, reason="no plans/ in this checkout")
@settings(max_examples=EXAMPLES or 250, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=not EXAMPLES, database=None)
@given(name=st.sampled_from(sorted(PLANS)), edits=st.lists(EDIT, min_size=1, max_size=6), final_newline=st.booleans())
def test_mutated_plans_never_break_a_run_or_its_reports(name, edits, final_newline):
    text = mutate(PLANS[name], edits, final_newline)
    results = []
    for parser_name in PARSERS:
        result, rendered = run(name, text, parser_name)
        check_invariants(name, text, result, rendered)
        results.append(result)
    assert_parsers_agree(text, *results, name)


def test_the_mutations_do_change_the_plans():
    """The fuzzer must be able to fail: its edits reach the parser and the rules."""
    name = sorted(PLANS)[0]
    broken = mutate(PLANS[name], [("insert", 3, 0, "[")], True)
    result, _ = run(name, broken, "c-parser")
    assert verdict(result, name)[0]
    assert mutate("a: 1\nb: 2\n", [("delete", 0)], False) == "b: 2"
    assert mutate("a:\n  b: 2\n", [("indent", 1, -2)], True) == "a:\nb: 2\n"
