"""Units of a KPI: currency codes from ISO 4217, and the ways people write them.

A currency KPI is written with its ISO 4217 code (``VND``, ``USD``): the list
ships as data (``rules/iso4217-currencies.txt``), so ``NPS`` or ``KPI`` are
not taken for currencies because they have three capitals. The forms people
actually write for Vietnamese đồng (``₫``, ``đ``, ``đồng``, ``VNĐ``) and amounts
counted in thousands, millions or billions (``tỷ VND``, ``triệu đồng``, ``k``)
are recognised, and :func:`unit_hint` says what to write instead.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from kpi_policies.resources import data_dir
from kpi_policies.i18n import _

#: Codes of the list that are not money (no currency, testing).
_NOT_MONEY = {"XXX", "XTS"}


@functools.lru_cache(maxsize=None)
def iso4217_codes() -> frozenset[str]:
    """The current ISO 4217 alphabetic currency codes."""
    codes = set()
    for line in (data_dir("rules") / "iso4217-currencies.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            codes.add(line.split("\t", 1)[0].strip())
    return frozenset(codes - _NOT_MONEY)


def is_currency_code(unit: str) -> bool:
    """True for an ISO 4217 code such as ``VND`` or ``USD`` (exact capitals)."""
    return unit.strip() in iso4217_codes()


def _fold(text: str) -> str:
    """Lower case, Vietnamese đ as d, accents removed, spaces collapsed."""
    text = text.strip().lower().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text)


#: Ways of writing the Vietnamese đồng (folded) -> the code to write.
_DONG = {"₫", "dong", "vnd", "vnđ", "dong viet nam", "viet nam dong", "vietnam dong", "vn dong"}
#: Multipliers people put in the unit (folded) -> (factor, word as written in Vietnamese and English).
_SCALES = {
    "k": (1_000, "nghìn / thousand"), "nghin": (1_000, "nghìn"), "ngan": (1_000, "ngàn"), "thousand": (1_000, "thousand"),
    "tr": (1_000_000, "triệu"), "trieu": (1_000_000, "triệu"), "million": (1_000_000, "million"), "m": (1_000_000, "million"),
    "ty": (1_000_000_000, "tỷ"), "ti": (1_000_000_000, "tỷ"), "billion": (1_000_000_000, "billion"), "bn": (1_000_000_000, "billion"),
}
#: Currency names in words (folded) -> code.
_WORDS = {"dollar": "USD", "dollars": "USD", "us dollar": "USD", "usd$": "USD", "$": "USD", "do la": "USD", "do": "USD",
          "euro": "EUR", "euros": "EUR", "€": "EUR", "yen": "JPY", "¥": "JPY", "baht": "THB", "won": "KRW",
          "nhan dan te": "CNY", "yuan": "CNY", "rmb": "CNY"}


def currency_in_words(unit: str) -> tuple[str, int] | None:
    """``(code, factor)`` when ``unit`` names a currency in words or symbols, or with a scale.

    ``"₫"`` and ``"đồng"`` give ``("VND", 1)``; ``"tỷ VND"`` gives
    ``("VND", 1_000_000_000)``; an ISO code written correctly gives ``None``.
    """
    if is_currency_code(unit):
        return None
    raw = unit.strip().lower().replace("₫", " ₫ ").split()
    folded = " ".join("₫" if w in ("đ", "₫") else _fold(w) for w in raw)  # "đ" is the đồng; a plain "d" may mean days
    words = folded.split()
    if not words:
        return None
    factor = 1
    rest = []
    for word in words:
        if word in _SCALES and factor == 1:
            factor = _SCALES[word][0]
        elif word.endswith("k") and word[:-1] in _DONG | {"vnd"}:
            factor, word = 1_000, word[:-1]
            rest.append(word)
        else:
            rest.append(word)
    name = " ".join(rest)
    code = None
    if name in _DONG or name.replace(" ", "") in {"vnd", "vnđ", "₫"}:
        code = "VND"
    elif name in _WORDS:
        code = _WORDS[name]
    elif name.upper() in iso4217_codes():
        code = name.upper()
    if code is None:
        return None
    if factor == 1 and unit.strip() == code:
        return None
    return code, factor


def unit_hint(unit: str) -> str | None:
    """What to write instead of a currency written in words, or ``None`` when ``unit`` is fine.

    Example: ``"tỷ VND"`` -> write ``unit: VND`` and the amounts in full
    (70 tỷ = 70000000000).
    """
    found = currency_in_words(unit)
    if found is None:
        return None
    code, factor = found
    if factor == 1:
        return _("write the ISO 4217 code: `unit: {code}`").format(code=code)
    scale = {1_000: "nghìn (thousand)", 1_000_000: "triệu (million)", 1_000_000_000: "tỷ (billion)"}[factor]
    return _("write `unit: {code}` and every amount in full {code}, without the scale word: "
             "70 {scale} is `value: {value}`").format(code=code, scale=scale, value=70 * factor)
