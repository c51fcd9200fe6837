"""Rule documentation, from the rules' docstrings: ``explain``, ``rules`` and docs/rules.md."""

from __future__ import annotations

import textwrap

from kpi_policies.i18n import N_, _, language
from kpi_policies.rules.base import Rule
from kpi_policies.rules.examples import EXAMPLE_AS_OF

#: Section headings of a rule's docstring, translated when ``explain`` shows them.
HEADINGS = (N_("Why it matters"), N_("Parameters"), N_("Fails"), N_("Passes"))
#: docs/rules.md on the web; each rule has the anchor ``#<id in lower case>`` (its ``### ID`` heading).
RULES_DOC_URI = "https://github.com/kpi-policies/kpi-policies/blob/main/docs/rules.md"


def example_note(rule: type[Rule]) -> str:
    """How to read the rule's examples."""
    if getattr(rule, "examples_are_files", False):
        return _("Examples are file text, checked as it is.")
    return _("Examples show only what differs from the reference plan (`kpi-policies explain --reference`; "
             "`~` removes a key), judged as of {as_of}.").format(as_of=EXAMPLE_AS_OF.isoformat())


def translated_doc(rule: type[Rule]) -> str:
    """The rule's docstring in the active language: summary, headings and the prose the catalog translates.

    English is the docstring itself. Otherwise the summary and the section
    headings are translated, and each prose paragraph that has a translation
    in the catalog; examples and paragraphs without one stay as written.
    """
    if language() == "en":
        return rule.doc()

    def prose(text: str) -> str:
        return "\n\n".join(translate_paragraph(p) for p in text.split("\n\n"))

    out = [_(rule.summary())]
    for heading, text in rule.sections().items():
        if heading:
            out.append("## " + (_(heading) if heading in HEADINGS else heading) + ("\n" + prose(text) if text else ""))
        elif text:
            out.append(prose(text))
    return "\n\n".join(out)


def paragraphs(text: str) -> list[str]:
    """The prose paragraphs of a docstring section, each on one line (the catalog's msgids); code blocks left out."""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip() and not p.lstrip().startswith(("```", "- "))]


def bullets(text: str) -> list[str]:
    """The items of a ``- `` list, each on one line (the catalog's msgids)."""
    return [" ".join(item.split()) for item in ("\n" + text).split("\n- ")[1:] if item.strip()]


def translate_paragraph(paragraph: str, width: int = 80) -> str:
    """A docstring paragraph in the active language, wrapped at ``width``; as written when the catalog has no translation."""

    if not paragraph.strip() or paragraph.lstrip().startswith("```"):
        return paragraph
    if paragraph.lstrip().startswith("- "):  # a list: each item on its own
        if any(_(item) == item for item in bullets(paragraph)):
            return paragraph
        return "\n".join(textwrap.fill(_(item), width, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False,
                                        break_long_words=False) for item in bullets(paragraph))
    key = " ".join(paragraph.split())
    translated = _(key)
    return paragraph if translated == key else textwrap.fill(translated, width, break_on_hyphens=False, break_long_words=False)


def rationale(rule: type[Rule]) -> str:
    """The rule's ``Why it matters`` on one line, in the active language (audit report)."""
    text = rule.rationale()
    if language() == "en" or not text:
        return " ".join(text.split()) or _(rule.summary())
    return " ".join(_(p) for p in paragraphs(text))


def explain_text(rule: type[Rule]) -> str:
    """The full documentation of one rule, as ``kpi-policies explain`` prints it.

    A title line (``ID name (severity)``), where the rule is defined, then the
    docstring: summary, Why it matters, Parameters, Fails, Passes.
    """
    from kpi_policies.rules.registry import FAMILIES

    family = FAMILIES.get(rule.family(), (rule.__module__, "Plugin"))
    lines = [
        f"{rule.id} {rule.name} ({_(rule.severity.value)})" if language() != "en" else f"{rule.id} {rule.name} ({rule.severity.value})",
        _("Family: {family} {title} - defined in {where}").format(family=rule.family(), title=_(family[1]),
                                                                   where=f"{rule.__module__}.{rule.__name__}"),
        "",
        translated_doc(rule),
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
