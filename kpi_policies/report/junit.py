"""JUnit XML (the schema of Jenkins' xUnit plugin, junit-10.xsd).

A ``testsuite`` per file, a ``testcase`` per rule evaluated on it (so passes
show too), a ``failure`` per active finding of that rule; a rule whose only
findings are suppressed is ``skipped`` with the reasons. CI systems that read JUnit
(GitLab, Jenkins, Azure DevOps) then list every plan and rule.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kpi_policies.result import RunResult


def build(result: RunResult) -> ET.Element:
    """The ``<testsuites>`` element."""
    from kpi_policies.rules.registry import all_rules

    names = {r.id: r.name for r in all_rules()}
    root = ET.Element("testsuites", name="kpi-policies", tests="0", failures="0", errors="0", time="0")
    total_tests = total_failures = 0
    for fr in result.files:
        by_rule: dict[str, list] = {}
        for f in fr.findings:
            by_rule.setdefault(f.rule_id, []).append(f)
        rules = list(dict.fromkeys(fr.rules_evaluated + list(by_rule)))
        failed = sum(1 for r in rules if any(f.active for f in by_rule.get(r, [])))
        suite = ET.SubElement(root, "testsuite", name=fr.path, tests=str(len(rules)), failures=str(failed),
                              errors="0", skipped="0", time="0", file=fr.path)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="kind", value=fr.kind or "")
        ET.SubElement(props, "property", name="plan_id", value=fr.doc_id or "")
        ET.SubElement(props, "property", name="as_of", value=result.as_of)
        for rule_id in rules:
            case = ET.SubElement(suite, "testcase", name=f"{rule_id} {names.get(rule_id, '')}".strip(),
                                 classname=fr.path, time="0")
            for f in by_rule.get(rule_id, []):
                if not f.active:
                    continue
                failure = ET.SubElement(case, "failure", type=f.severity.value, message=_clean(f.message))
                failure.text = _clean(f"{f.file}:{f.line}:{f.column}: {f.rule_id} {f.severity.value}: {f.message}")
            waived = [f for f in by_rule.get(rule_id, []) if not f.active]
            if waived and not any(f.active for f in by_rule[rule_id]):
                reasons = "; ".join(f"line {f.line}: {f.suppression['reason']}" for f in waived)
                ET.SubElement(case, "skipped", message=_clean(f"suppressed: {reasons}"))
        total_tests += len(rules)
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
