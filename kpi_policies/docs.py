"""Rule documentation, from the rules' docstrings: ``explain``, ``rules`` and docs/rules.md."""

from __future__ import annotations

from kpi_policies.rules.base import Rule
from kpi_policies.rules.examples import EXAMPLE_AS_OF

#: docs/rules.md on the web; each rule has the anchor ``#<id in lower case>`` (its ``### ID`` heading).
RULES_DOC_URI = "https://github.com/kpi-policies/kpi-policies/blob/main/docs/rules.md"


def example_note(rule: type[Rule]) -> str:
    """How to read the rule's examples."""
    if getattr(rule, "examples_are_files", False):
        return "Examples are file text, checked as it is."
    return (f"Examples show only what differs from the reference plan (`kpi-policies explain --reference`; "
            f"`~` removes a key), judged as of {EXAMPLE_AS_OF.isoformat()}.")


def explain_text(rule: type[Rule]) -> str:
    """The full documentation of one rule, as ``kpi-policies explain`` prints it.

    A title line (``ID name (severity)``), where the rule is defined, then the
    docstring: summary, Why it matters, Parameters, Fails, Passes.
    """
    from kpi_policies.rules.registry import FAMILIES

    family = FAMILIES.get(rule.family(), (rule.__module__, "Plugin"))
    lines = [
        f"{rule.id} {rule.name} ({rule.severity.value})",
        f"Family: {rule.family()} {family[1]} - defined in {rule.__module__}.{rule.__name__}",
        "",
        rule.doc(),
        "",
        example_note(rule),
    ]
    return "\n".join(lines)


def rules_markdown(rules) -> str:
    """docs/rules.md: an index of every rule by family, then each rule's full documentation.

    Args:
        rules: Rule classes, in the order to show them (``registry.all_rules()``).
    """
    from kpi_policies.rules.registry import FAMILIES

    out = ["# Rules", "",
           "Generated from the rules' docstrings by `kpi-policies rules --format markdown`; "
           "`kpi-policies explain RULE_ID` prints the same text.", ""]
    family = None
    for rule in rules:
        if rule.family() != family:
            family = rule.family()
            title = FAMILIES.get(family, (None, f"Plugin rules ({rule.__module__.split('.')[0]})"))[1]
            out += ([""] if out[-1] else []) + [f"## {family}: {title}", "", "| id | name | severity | summary |", "|---|---|---|---|"]
        out.append(f"| [{rule.id}](#{rule.id.lower()}) | `{rule.name}` | {rule.severity.value} | {rule.summary()} |")
    for rule in rules:
        body = rule.doc().split("\n", 1)[1].strip() if "\n" in rule.doc() else ""
        body = body.replace("\n## ", "\n#### ")
        if body.startswith("## "):
            body = "#### " + body[3:]
        out += ["", f"### {rule.id}", "", f"**{rule.name}** ({rule.severity.value}), defined in `{rule.__module__}.{rule.__name__}`.", "",
                rule.summary(), "", body, "", example_note(rule)]
    return "\n".join(out).rstrip() + "\n"


_INFO: dict = {}  # rule class -> its RuleInfo (a docstring does not change during a process)


def rule_info(rule: type[Rule]) -> "RuleInfo":
    """What reporters need to know of a rule (:class:`kpi_policies.result.RuleInfo`), so they need no registry."""
    from kpi_policies.result import RuleInfo

    if rule not in _INFO:
        builtin = rule.__module__.startswith("kpi_policies.rules.")
        help_uri = rule.help_uri or (f"{RULES_DOC_URI}#{rule.id.lower()}" if builtin else "")
        _INFO[rule] = RuleInfo(id=rule.id, name=rule.name, severity=rule.severity, summary=rule.summary(),
                               rationale=" ".join(rule.rationale().split()), help=explain_text(rule), family=rule.family(),
                               help_uri=help_uri)
    return _INFO[rule]
