"""Languages of the user-facing text: English (the default) and Vietnamese.

Every sentence a person reads (finding messages, hints, rule summaries, the
text, Markdown and HTML reports) goes through :func:`_`, the gettext lookup
of the active language, with the catalog
``kpi_policies/locale/<lang>/LC_MESSAGES/kpi_policies.mo`` (compiled by Babel
from the ``.po`` next to it; both are kept in the repository and shipped in
the wheel). English text is the message id itself, so English output does not
depend on any catalog.

Write a message with named placeholders and fill them *after* the lookup, so
the translation may move them::

    from kpi_policies.i18n import _
    yield Violation(path, _("KPI {kpi} has no target").format(kpi=kpi.id))

Never put an f-string inside ``_()``: the catalog holds the text with its
``{placeholders}``. Rule ids, field names and YAML keys written in backticks
stay as they are in every language; machine formats (json, sarif, junit,
github) keep their ids and field names and carry the message in the chosen
language. See docs/translating.md.

The language is chosen, first match wins, by ``--lang``, ``lang:`` in the
project configuration, the ``KPI_POLICIES_LANG`` environment variable, then
the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, e.g.
``vi_VN.UTF-8``); anything else is English.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import os
from pathlib import Path

DOMAIN = "kpi_policies"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Languages with a catalog, the default first.
LANGUAGES = ("en", "vi")
DEFAULT = "en"
#: Passes the active language to worker processes started with ``spawn``.
_INHERITED = "_KPI_POLICIES_ACTIVE_LANG"

_translations: dict[str, _gettext.NullTranslations] = {}
_active = DEFAULT


def normalize(value: str | None) -> str | None:
    """``vi``, ``vi_VN.UTF-8``, ``vi-VN`` -> ``vi``; ``en_US`` -> ``en``; unknown or empty -> ``None``."""
    if not value:
        return None
    for part in value.split(":"):  # LANGUAGE may list several
        code = part.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return None


def from_environment(env=None) -> str | None:
    """The language the environment asks for: ``KPI_POLICIES_LANG``, then the locale variables."""
    env = os.environ if env is None else env
    for name in ("KPI_POLICIES_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if not value:
            continue
        code = normalize(value)
        if code:
            return code
        if name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            return None  # the first locale variable set decides ("C", "fr_FR": English)
    return None


def resolve(cli: str | None = None, config: str | None = None, env=None) -> str:
    """The language of a run: ``--lang``, else the configuration's ``lang``, else the environment, else English."""
    return normalize(cli) or normalize(config) or from_environment(env) or DEFAULT


def translation(lang: str) -> _gettext.NullTranslations:
    """The catalog of ``lang`` (English: no catalog, messages stay as written)."""
    if lang not in _translations:
        if lang == DEFAULT:
            _translations[lang] = _gettext.NullTranslations()
        else:
            _translations[lang] = _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)
    return _translations[lang]


def set_language(lang: str | None) -> str:
    """Make ``lang`` (normalised; unknown -> English) the active language; returns it."""
    global _active
    _active = normalize(lang) or DEFAULT
    os.environ[_INHERITED] = _active
    return _active


def language() -> str:
    """The active language code (``en`` or ``vi``)."""
    return _active


def _(message: str) -> str:
    """``message`` in the active language (the message itself when there is no translation)."""
    if _active == DEFAULT or not message:
        return message
    return translation(_active).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural form of a message in the active language."""
    if _active == DEFAULT:
        return singular if n == 1 else plural
    return translation(_active).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (module-level tables); pass it to ``_`` later."""
    return message


# --- numbers and dates in human reports ---------------------------------------------------------
# Machine formats (json, sarif, junit, github, YAML) always keep ISO dates and plain numbers.

def format_number(value: float | int, lang: str | None = None) -> str:
    """A number as people of ``lang`` write it: ``1,234,567.5`` in English, ``1.234.567,5`` in Vietnamese."""
    lang = lang or _active
    if lang == DEFAULT:
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.4f}".rstrip("0").rstrip(".")
        return f"{int(value):,}"
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.####", locale=lang)


def format_date(value: dt.date | str, lang: str | None = None) -> str:
    """A date (or ISO date text) in a human report: ISO (``2026-12-31``) in English, ``31/12/2026`` in Vietnamese.

    Text that is not an ISO date is returned as it is.
    """
    lang = lang or _active
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if lang == DEFAULT:
        return value.isoformat()
    from babel.dates import format_date as _format_date

    return _format_date(value, format="dd/MM/yyyy", locale=lang)


#: Large amounts in words, Vietnamese practice (70 tỷ, 1,5 triệu).
_VI_SCALES = ((1_000_000_000, "tỷ"), (1_000_000, "triệu"))


def format_amount(value: float | int, unit: str | None = None, lang: str | None = None) -> str:
    """An amount with its unit for a human report: ``70 tỷ ₫`` / ``1.234.567 ₫`` in Vietnamese.

    English keeps the plain number followed by the unit. In Vietnamese, VND
    amounts of a billion or more are written in ``tỷ``, other VND amounts
    with the ``₫`` sign and dot separators.
    """
    lang = lang or _active
    if lang == DEFAULT or unit != "VND":
        text = format_number(value, lang)
        return f"{text} {unit}" if unit else text
    if abs(value) >= 1_000_000_000:
        return f"{format_number(round(value / 1_000_000_000, 2), lang)} tỷ ₫"
    return f"{format_number(value, lang)} ₫"


if os.environ.get(_INHERITED):  # a worker process started by ``spawn`` keeps its parent's language
    _active = normalize(os.environ[_INHERITED]) or DEFAULT
