"""JUnit XML (the schema of Jenkins' xUnit plugin, junit-10.xsd).

A ``testsuite`` per file. In it, per rule evaluated on the file:

- no finding: one passing ``testcase`` named ``ID name`` (so passes show too);
- each active finding: its own ``testcase`` named ``ID name at line L:C``
  holding exactly one ``failure`` (readers such as junit2html show only one
  failure per case, so one case never carries two);
- each suppressed finding: its own ``testcase`` holding one ``skipped`` with
  the waiver's reason.

Each suite counts its ``tests``, ``failures`` and ``skipped`` cases; the
``testsuites`` element totals tests and failures (the schema has no
``skipped`` there). CI systems that read JUnit (GitLab, Jenkins, Azure
DevOps) then list every plan, rule and finding.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kpi_policies.result import FileResult, Finding, RunResult


def _case_name(rule_id: str, name: str, finding: Finding | None = None) -> str:
    base = f"{rule_id} {name}".strip()
    return base if finding is None else f"{base} at line {finding.line}:{finding.column}"


def _cases(fr: FileResult, result: RunResult) -> list[tuple[str, str, Finding | None]]:
    """``(outcome, case name, finding)`` for each test case of a file: ``pass``, ``failure`` or ``skipped``."""
    by_rule: dict[str, list[Finding]] = {}
    for f in fr.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    cases = []
    for rule_id in dict.fromkeys(fr.rules_evaluated + list(by_rule)):
        findings = by_rule.get(rule_id, [])
        name = result.rule(rule_id).name or next((f.rule_name for f in findings if f.rule_name), "")
        if not findings:
            cases.append(("pass", _case_name(rule_id, name), None))
        cases += [("failure" if f.active else "skipped", _case_name(rule_id, name, f), f) for f in findings]
    return cases


def _failure(case: ET.Element, f: Finding) -> None:
    audit = " [audit: does not block]" if f.enforcement == "audit" else ""
    failure = ET.SubElement(case, "failure", type=f.severity.value, message=_clean(f.message + audit))
    failure.text = _clean(f"{f.file}:{f.line}:{f.column}: {f.rule_id} {f.severity.value}: {f.message}{audit}")


def _skipped(case: ET.Element, f: Finding) -> None:
    s = f.suppression
    until = f" (until {s.until})" if s.until else ""
    ET.SubElement(case, "skipped", message=_clean(f"suppressed ({s.kind}, line {f.line}): "
                                                  f"{s.reason or ''}{until}; finding: {f.message}"))


def build(result: RunResult) -> ET.Element:
    """The ``<testsuites>`` element."""
    root = ET.Element("testsuites", name="kpi-policies", tests="0", failures="0", errors="0", time="0")
    total_tests = total_failures = 0
    for fr in result.files:
        cases = _cases(fr, result)
        failed = sum(1 for outcome, _, _ in cases if outcome == "failure")
        skipped = sum(1 for outcome, _, _ in cases if outcome == "skipped")
        suite = ET.SubElement(root, "testsuite", name=_clean(fr.path), tests=str(len(cases)), failures=str(failed),
                              errors="0", skipped=str(skipped), time="0", file=_clean(fr.path))
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="kind", value=fr.kind or "")
        ET.SubElement(props, "property", name="plan_id", value=_clean(fr.doc_id or ""))
        ET.SubElement(props, "property", name="as_of", value=result.as_of)
        for outcome, name, finding in cases:
            case = ET.SubElement(suite, "testcase", name=_clean(name), classname=_clean(fr.path), time="0")
            if outcome == "failure":
                _failure(case, finding)
            elif outcome == "skipped":
                _skipped(case, finding)
        total_tests += len(cases)
        total_failures += failed
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    _clean_tree(root)
    return root


def _clean_tree(root: ET.Element) -> None:
    """Clean every attribute and text of the tree: file paths and plan ids come from hostile files too."""
    for element in root.iter():
        for key, value in element.attrib.items():
            element.set(key, _clean(value))
        if element.text:
            element.text = _clean(element.text)


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from hostile files)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ch >= " " and ch not in "\ufffe\uffff" and not "\ud800" <= ch <= "\udfff"))


def render(result: RunResult, **_options) -> str:
    """JUnit XML text with an XML declaration."""
    root = build(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
