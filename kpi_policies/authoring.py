"""Hints for the mistakes people actually make when they write a plan by hand.

Each hint says what to write instead, with the value rewritten when it can be:
a percent sign in a number, "tăng 10%" as a target, a day-first date
(``31/12/2027``), a decimal comma (``2,5``), thousands separators
(``50.000.000.000``), an amount in words (``50 tỷ``), a Vietnamese metric name,
and an indentation slip that leaves a key such as ``review:`` empty while its
lines stand beside it. The schema step (:mod:`kpi_policies.schema`) appends
them to its findings.
"""

from __future__ import annotations

import re
from typing import Any

from kpi_policies.i18n import _

_SCALE_WORDS = {"nghìn": 1_000, "nghin": 1_000, "ngàn": 1_000, "k": 1_000, "triệu": 1_000_000, "trieu": 1_000_000,
                "tr": 1_000_000, "tỷ": 1_000_000_000, "tỉ": 1_000_000_000, "ty": 1_000_000_000,
                "million": 1_000_000, "billion": 1_000_000_000, "thousand": 1_000}
_CURRENCY_WORDS = r"(?:đồng|dong|đ|₫|vnd|vnđ|usd|\$)"
_CHANGE = re.compile(r"^(?:tăng|giảm|tang|giam|increase|decrease|grow|up|down|\+|-|−)\s*(?:by\s+)?(\d+(?:[.,]\d+)?)\s*%$", re.I)


def _plain(number: float) -> str:
    """A number as YAML wants it: no separators, no trailing ``.0``."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _parse_number(text: str) -> float | None:
    """Read a number written the Vietnamese way or the English way; ``None`` when unsure."""
    t = text.strip().replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", t):  # 50.000.000.000 or 1.234,5
        return float(t.replace(".", "").replace(",", "."))
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", t):  # 50,000,000,000
        return float(t.replace(",", ""))
    if re.fullmatch(r"-?\d+,\d+", t):  # 2,5
        return float(t.replace(",", "."))
    if re.fullmatch(r"-?\d+(\.\d+)?", t):
        return float(t)
    return None


def number_hint(value: Any, path: tuple = (), root: Any = None) -> str:
    """``": write ..."`` for a text where a number was wanted, or ``""`` when no form fits."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    change = _CHANGE.match(text)
    if change:
        pct = float(change.group(1).replace(",", "."))
        up = not re.match(r"^(?:giảm|giam|decrease|down|-|−)", text, re.I)
        example = ""
        base = _sibling_baseline(path, root)
        if base is not None:
            reached = base * (1 + (pct if up else -pct) / 100)
            reached = round(reached) if abs(reached - round(reached)) <= 1e-9 * max(1.0, abs(reached)) else round(reached, 6)
            example = (_(" (baseline {base} +{pct}% is {result})") if up else _(" (baseline {base} -{pct}% is {result})")).format(
                base=_plain(base), pct=_plain(pct), result=_plain(reached))
        return _(": a target is the value to reach, not the change: write that number{example}, "
                 "with `direction: {direction}`").format(example=example, direction="increase" if up else "decrease")
    if text.endswith("%"):
        number = _parse_number(text[:-1])
        if number is not None:
            return _(": write the number without the percent sign, `{number}`, and say `unit: percent` on the KPI").format(number=_plain(number))
    words = re.fullmatch(r"(-?[\d.,]+)\s*([^\d\s]+)(?:\s+" + _CURRENCY_WORDS + r")?", text, re.I)
    if words and words.group(2).lower() in _SCALE_WORDS:
        number = _parse_number(words.group(1))
        if number is not None:
            full = _plain(round(number * _SCALE_WORDS[words.group(2).lower()], 6))
            return _(": write the amount in full, `{full}`, and the currency as the KPI's unit (`unit: VND`)").format(full=full)
    money = re.fullmatch(r"(-?[\d.,]+)\s*" + _CURRENCY_WORDS, text, re.I)
    if money and _parse_number(money.group(1)) is not None:
        return _(": write the number alone, `{number}`, and the currency as the KPI's unit (`unit: VND`)").format(
            number=_plain(_parse_number(money.group(1))))
    if re.fullmatch(r"-?\d{1,3}([.,]\d{3}){2,}", text.replace(" ", "")) or re.fullmatch(r"-?\d{1,3}(,\d{3})+", text):
        return _(": write it without thousands separators, `{number}`").format(number=_plain(_parse_number(text)))
    if re.fullmatch(r"-?\d+,\d+", text):
        return _(": write a decimal point, not a comma: `{number}`").format(number=text.replace(",", "."))
    if re.fullmatch(r"-?\d{1,3}( \d{3})+", text):
        return _(": write it without spaces, `{number}`").format(number=text.replace(" ", ""))
    return ""


def _sibling_baseline(path: tuple, root: Any) -> float | None:
    """The KPI's baseline value when ``path`` is its ``target.value``."""
    if len(path) < 3 or path[-2:] != ("target", "value") or not isinstance(root, dict):
        return None
    node: Any = root
    for part in path[:-2]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    base = (node.get("baseline") or {}).get("value") if isinstance(node, dict) and isinstance(node.get("baseline"), dict) else None
    return float(base) if isinstance(base, (int, float)) and not isinstance(base, bool) else None


def date_hint(value: Any) -> str:
    """``", write ..."`` for a date written day first (31/12/2027, 31-12-2027, 31.12.2027), or ``""``."""
    if not isinstance(value, str):
        return ""
    m = re.fullmatch(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*", value)
    if m:
        day, month, year = (int(g) for g in m.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return _(": dates are written year first, `{date}`").format(date=f"{year:04d}-{month:02d}-{day:02d}")
        if 1 <= day <= 12 and 1 <= month <= 31:  # month first, as in the US
            return _(": dates are written year first, `{date}`").format(date=f"{year:04d}-{day:02d}-{month:02d}")
    m = re.fullmatch(r"\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\s*", value)
    if m:
        return _(": write it with dashes, `{date}`").format(date=f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
    return ""


def metric_hint(value: Any) -> str:
    """``": write ..."`` for a metric named in words (``doanh thu``) that the catalog knows, or ``""``."""
    if not isinstance(value, str):
        return ""
    from kpi_policies.catalog import builtin_catalog

    found = builtin_catalog().suggest(value)
    return _(": write the catalog id, `metric: {metric}`").format(metric=found) if found else _("; `kpi-policies metrics` lists the catalog ids")


def empty_parent(parent: Any, key: str, child_keys: set[str]) -> list[str]:
    """Keys written beside ``key`` (which is empty) that belong under it: an indentation slip."""
    if not isinstance(parent, dict) or parent.get(key) is not None:
        return []
    return [k for k in parent if k != key and k in child_keys]
