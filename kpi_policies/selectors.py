"""Rule selectors: the one way a policy, a waiver or a command names a set of rules.

A selector is ``ALL`` (every rule), a rule id (``FE004``), a family prefix
(``FE``: FE001, FE002, ...; never ``FEX001``) or a partial id (``FE00``:
FE001 to FE009). ``select``, ``ignore``, inline and policy waivers all use
:meth:`RuleSelector.matches`, so a selector means the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

ALL = "ALL"


@dataclass(frozen=True)
class RuleSelector:
    """One selector as written (``ALL``, ``FE004``, ``FE`` or ``FE00``)."""

    text: str

    def matches(self, rule_id: str) -> bool:
        """True when this selector names ``rule_id``."""
        p = self.text
        if p == ALL or p == rule_id:
            return True
        if not p or not rule_id.startswith(p):
            return False
        rest = rule_id[len(p):]
        digits = len(p) - len(p.rstrip("0123456789"))
        # a family needs a number to follow (FE -> FE004, not FEX001); a partial id (FE00, never a
        # whole three-digit id) is followed by digits only
        return rest.isdigit() and digits < 3

    def names_any(self, rule_ids: Iterable[str]) -> bool:
        """True when at least one of ``rule_ids`` is matched (an unknown selector matches none)."""
        return any(self.matches(r) for r in rule_ids)

    def is_loading(self) -> bool:
        """True when it names YAML loading rules (``Y``, ``Y001``) explicitly."""
        return self.text == "Y" or (self.text.startswith("Y") and self.text[1:].isdigit())


def any_matches(selectors: Iterable[str], rule_id: str) -> bool:
    """True when one of the selectors (as text) names ``rule_id``."""
    return any(RuleSelector(s).matches(rule_id) for s in selectors)


def unknown(selectors: Iterable[str], rule_ids: Iterable[str]) -> list[str]:
    """The selectors that name none of ``rule_ids``."""
    known = list(rule_ids)
    return [s for s in selectors if not RuleSelector(s).names_any(known)]
