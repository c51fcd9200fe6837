"""Keeping the translation catalogs: extract every translatable text, update the ``.po``, compile the ``.mo``.

Run from the repository root after adding or changing a message::

    python -m kpi_policies.i18n_catalog update    # new texts enter kpi_policies.po with an empty msgstr
    (translate them in kpi_policies/locale/vi/LC_MESSAGES/kpi_policies.po)
    python -m kpi_policies.i18n_catalog compile   # writes kpi_policies.mo next to it
    python -m kpi_policies.i18n_catalog check     # what tests/test_i18n.py checks

The texts come from three places: every ``_()``, ``N_()`` and ``ngettext()``
call in the package's Python code and ``_()`` in its Jinja templates (Babel's
extractors); the summary (first docstring line) of every built-in rule; and
the help texts of the command line. Needs Babel (a dependency of the package).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from kpi_policies.i18n import DOMAIN, LOCALE_DIR

PACKAGE = Path(__file__).resolve().parent
TRANSLATED = ("vi",)
#: Commands whose help is translated (and checked); the others show English help.
HELP_COMMANDS = ("check", "report", "explain", "rules")


def po_path(lang: str) -> Path:
    """``kpi_policies/locale/<lang>/LC_MESSAGES/kpi_policies.po``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    """The compiled catalog next to the ``.po``."""
    return po_path(lang).with_suffix(".mo")


def source_messages() -> dict[str | tuple, list[str]]:
    """msgid -> where it comes from (file, ``rule GL001 summary``, ``help check --as-of``).

    A plural message (``ngettext``) is keyed by its ``(singular, plural)`` pair.
    """
    from babel.messages.extract import extract_from_dir

    found: dict[str, list[str]] = {}

    def add(msgid: str | tuple, where: str) -> None:
        if msgid:
            found.setdefault(msgid, []).append(where)

    method_map = [("**/templates/**.j2", "jinja2.ext:babel_extract"), ("**.py", "python")]
    options = {"**/templates/**.j2": {"extensions": "", "trimmed": "false"}}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(PACKAGE), method_map, options_map=options):
        if filename.startswith("i18n") or "/locale/" in filename:
            continue  # the module's own docstring examples
        if isinstance(message, (tuple, list)):
            message = tuple(message[:2]) if len(message) > 1 and message[1] else message[0]
        add(message, f"kpi_policies/{filename}")
    from kpi_policies.rules.registry import FAMILIES

    for family, (_module, title) in FAMILIES.items():
        add(title, f"rule family {family}")
    from kpi_policies.docs import bullets, paragraphs

    for rule in builtin_rules():
        add(rule.summary(), f"rule {rule.id} summary")
        for paragraph in paragraphs(rule.sections().get("", "")) + paragraphs(rule.rationale()):
            add(paragraph, f"rule {rule.id} why it matters")
        for item in bullets(rule.sections().get("Parameters", "")):
            add(item, f"rule {rule.id} parameters")
    for name, text in help_texts():
        add(text, f"help {name}")
    return found


def builtin_rules():
    """The rules of the built-in families (plugins translate their own texts)."""
    from kpi_policies.rules.registry import all_rules

    return [r for r in all_rules() if r.__module__.startswith("kpi_policies.")]


def help_texts() -> list[tuple[str, str]]:
    """(where, text) of the help of :data:`HELP_COMMANDS` and their options, and of the global ``--lang``."""
    from kpi_policies.cli.app import cli

    out = []
    for param in cli.params:
        if getattr(param, "help", None):
            out.append((f"--{param.name}", getattr(param, "_kpi_help", param.help)))
    for name in HELP_COMMANDS:
        command = cli.get_command(None, name)  # commands in modules of their own are loaded on demand
        if command is None:
            continue
        for attr in ("help", "short_help"):
            text = getattr(command, f"_kpi_{attr}", getattr(command, attr, None))
            if text:
                out.append((name, text))
        for param in command.params:
            text = getattr(param, "_kpi_help", getattr(param, "help", None))
            if text:
                out.append((f"{name} {param.opts[0] if getattr(param, 'opts', None) else param.name}", text))
    return out


def template_catalog():
    """A Babel catalog of every source message."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(domain=DOMAIN, project="kpi-policies", msgid_bugs_address="", charset="utf-8")
    for msgid, where in sorted(source_messages().items(), key=lambda kv: str(kv[0])):
        catalog.add(msgid, locations=[(w, None) for w in sorted(set(where))])
    return catalog


def update(lang: str) -> int:
    """Bring ``lang``'s ``.po`` up to date with the sources; returns the number of untranslated messages."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = po_path(lang)
    if path.exists():
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=lang, domain=DOMAIN)
    else:
        catalog = Catalog(locale=lang, domain=DOMAIN, project="kpi-policies")
    catalog.update(template_catalog(), no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    catalog.header_comment = "# Vietnamese texts of kpi-policies (tiếng Việt).\n# See docs/translating.md."
    catalog.project, catalog.version = "kpi-policies", ""
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "kpi-policies"
    catalog.language_team = "Vietnamese"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=120, omit_header=False, sort_output=True, include_previous=False)
    if b"POT-Creation-Date" in path.read_bytes():  # keep the file stable between runs (no timestamps)
        text = path.read_text(encoding="utf-8")
        text = "\n".join(line for line in text.split("\n") if not line.startswith(('"POT-Creation-Date', '"PO-Revision-Date')))
        path.write_text(text, encoding="utf-8")
    return sum(1 for m in catalog if m.id and not (all(m.string) if isinstance(m.string, (tuple, list)) else m.string))


def compiled_bytes(lang: str) -> bytes:
    """The ``.mo`` that the ``.po`` of ``lang`` compiles to."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po_path(lang), "rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _entries(mo: bytes) -> dict:
    """The translations a compiled catalog holds (its header, with a creation date, left out)."""
    from babel.messages.mofile import read_mo

    return {str(m.id): str(m.string) for m in read_mo(io.BytesIO(mo)) if m.id}


def compile_catalog(lang: str) -> None:
    """Write the ``.mo`` of ``lang``."""
    mo_path(lang).write_bytes(compiled_bytes(lang))


def problems(lang: str) -> list[str]:
    """What keeps ``lang`` from being complete: untranslated, fuzzy or placeholder-changing entries, a stale ``.mo``."""
    import re
    from babel.messages.pofile import read_po

    with open(po_path(lang), "rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    out = []
    for msgid, where in sorted(source_messages().items(), key=lambda kv: str(kv[0])):
        message = catalog.get(msgid[0] if isinstance(msgid, tuple) else msgid)
        strings = message.string if message is not None and isinstance(message.string, (tuple, list)) else [getattr(message, "string", "")]
        if message is None or not all(strings) or (isinstance(msgid, tuple) != message.pluralizable):
            out.append(f"no {lang} translation for {msgid!r} ({where[0]})")
        elif message.fuzzy:
            out.append(f"fuzzy {lang} translation for {msgid!r} ({where[0]})")
        else:
            source = msgid[0] if isinstance(msgid, tuple) else msgid
            fields = sorted(set(re.findall(r"(?<!\{)\{([a-z_]*)\}(?!\})", source)))
            if any(fields != sorted(set(re.findall(r"(?<!\{)\{([a-z_]*)\}(?!\})", s))) for s in strings):
                out.append(f"{lang} translation of {msgid!r} does not keep the placeholders {fields}")
    if not mo_path(lang).exists() or _entries(mo_path(lang).read_bytes()) != _entries(compiled_bytes(lang)):
        out.append(f"{mo_path(lang)} is not compiled from the current .po: run python -m kpi_policies.i18n_catalog compile")
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        for lang in TRANSLATED:
            print(f"{po_path(lang)}: {update(lang)} message(s) to translate")
        return 0
    if command == "compile":
        for lang in TRANSLATED:
            compile_catalog(lang)
            print(f"wrote {mo_path(lang)}")
        return 0
    if command == "check":
        issues = [p for lang in TRANSLATED for p in problems(lang)]
        print("\n".join(issues) or "every message is translated")
        return 1 if issues else 0
    print("usage: python -m kpi_policies.i18n_catalog update|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
