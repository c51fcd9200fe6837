"""The pictures of the audit report, drawn as inline SVG from the report's plain data (no script, nothing fetched).

- :func:`goal_tree_svg`: business goals, objectives, KPIs (with driver arcs)
  and initiatives of a plan, left to right; nodes with findings are marked.
- :func:`progress_svg`: one KPI's baseline, review actuals and target on a time axis.
- :func:`compliance_svg`: rules against files as a grid of outcomes.

Every function returns :class:`markupsafe.Markup`. Plan text is untrusted:
every piece of it goes through :func:`markupsafe.escape` before it is placed
in the markup, so a title such as ``<script>`` stays text. Each picture has
``role="img"`` with a ``<title>`` and a ``<desc>`` saying in words what it
shows, and never relies on colour alone (symbols and labels carry the meaning).

Sizes are in CSS pixels of the ``viewBox``; the pictures scale to the width
of their container.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

from markupsafe import Markup, escape

from kpi_policies.i18n import N_, _, format_number, language, ngettext

#: Fonts with Vietnamese coverage only (see audit.css), DejaVu Sans first: the width estimates below assume it.
FONT = "'DejaVu Sans', 'Noto Sans', 'Segoe UI', Arial, sans-serif"

#: Node colours per kind: (fill, stroke, label).
NODE_STYLE = {
    "goal": ("#eef2ff", "#4338ca", N_("Business goals")),
    "objective": ("#ecfeff", "#0e7490", N_("Objectives")),
    "kpi": ("#f0fdf4", "#15803d", N_("KPIs")),
    "initiative": ("#fff7ed", "#c2410c", N_("Initiatives")),
}
FINDING_COLOUR = "#b42318"
#: Outcome -> (fill, symbol, symbol colour, words).
OUTCOME_STYLE = {
    "pass": ("#1e7b34", "\u2713", "#ffffff", N_("pass")),
    "fail": ("#b42318", "\u2715", "#ffffff", N_("fail")),
    "suppressed": ("#f2c14e", "S", "#3d2c00", N_("suppressed")),
    "not_applicable": ("#e9ebef", "\u2013", "#4b5563", N_("not applicable")),
}

# Advance widths (em) of DejaVu Sans, the widest common sans-serif: estimates never underrate text width.
_NARROW = dict.fromkeys("ijl|!.,:;'`\u00a0", 0.30)
_WIDTHS = {**_NARROW, " ": 0.32, "f": 0.36, "t": 0.40, "r": 0.42, "I": 0.30, "J": 0.30, "-": 0.37, "(": 0.40,
           ")": 0.40, "[": 0.40, "]": 0.40, "/": 0.34, "m": 0.98, "w": 0.82, "M": 0.87, "W": 0.99, "%": 0.95,
           "&": 0.78, "@": 1.0, "_": 0.50}


def text_width(text: str, size: float) -> float:
    """Estimated width in pixels of ``text`` set at ``size`` pixels (DejaVu Sans metrics, diacritics ignored)."""
    total = 0.0
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            continue
        if ch in _WIDTHS:
            total += _WIDTHS[ch]
        elif ch.isupper():
            total += 0.72
        elif ch.isdigit():
            total += 0.64
        elif ch.isascii():
            total += 0.62
        else:
            total += 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.66
    return total * size


def fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis so it fits ``width`` pixels at ``size`` pixels."""
    text = " ".join((text or "").split())
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "\u2026", size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _e(text) -> str:
    """Escaped text for SVG content or attributes."""
    return str(escape("" if text is None else text))


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def compact(value: float | int | None) -> str:
    """A number for an axis or a label: ``62.4 bn``, ``2.35 M``, ``480 k``, ``4.8``."""
    if value is None:
        return "?"
    size = abs(value)
    vietnamese = language() == "vi"
    for limit, scale, suffix in ((1e9, 1e9, " bn"), (1e6, 1e6, " M"), (1e4, 1e3, " k")):
        if size >= limit:
            if vietnamese:  # 62,4 tỷ · 2,35 tr · 480 k
                return format_number(float(f"{value / scale:.3g}")) + {" bn": " tỷ", " M": " tr", " k": " k"}[suffix]
            return f"{value / scale:.3g}{suffix}"
    if vietnamese:
        return format_number(value if float(value).is_integer() else float(f"{value:.3g}"))
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.3g}"


# --- goal tree ---------------------------------------------------------------

_NODE_H = 38
_PITCH = 46
_COLS = {"goal": (0, 190), "objective": (224, 220), "kpi": (478, 262), "initiative": (0, 212)}  # (x, width)
_TOP = 34
_LEFT = 8


def _tree_layout(tree: dict) -> tuple[dict, dict, float, float]:
    """Positions of the tree's nodes: key -> (x, y, width) of the node's top-left corner, and the picture's size."""
    nodes = {n["key"]: n for n in tree["nodes"]}
    children: dict[str, list[str]] = {k: [] for k in nodes}
    for e in tree["edges"]:
        if e["kind"] in ("serves", "measures") and e["to"] in children:
            children[e["to"]].append(e["from"])
    order = list(nodes)
    goals = [k for k in order if nodes[k]["kind"] == "goal"]
    goals.sort(key=lambda k: nodes[k]["placeholder"])
    y: dict[str, float] = {}
    row = 0

    def place_leaf(key: str) -> float:
        nonlocal row
        y[key] = _TOP + row * _PITCH
        row += 1
        return y[key]

    for goal in goals:
        objectives = [c for c in children[goal] if nodes[c]["kind"] == "objective"]
        if not objectives:
            place_leaf(goal)
            continue
        spans = []
        for objective in objectives:
            kpis = [c for c in children[objective] if nodes[c]["kind"] == "kpi"]
            if kpis:
                ys = [place_leaf(k) for k in kpis]
                y[objective] = sum(ys) / len(ys)
            else:
                place_leaf(objective)
            spans.append(y[objective])
        y[goal] = sum(spans) / len(spans)
    for key in order:  # anything not reached (should not happen) gets a row of its own
        if nodes[key]["kind"] != "initiative" and key not in y:
            place_leaf(key)
    kpi_count = row
    moves: dict[str, list[str]] = {}
    for e in tree["edges"]:
        if e["kind"] == "moves":
            moves.setdefault(e["from"], []).append(e["to"])
    initiatives = [k for k in order if nodes[k]["kind"] == "initiative"]
    wanted = {k: (sum(y[t] for t in moves.get(k, []) if t in y) / len(moves[k]) if moves.get(k) else math.inf)
              for k in initiatives}
    last = -math.inf
    for key in sorted(initiatives, key=lambda k: (wanted[k], initiatives.index(k))):
        spot = wanted[key] if wanted[key] != math.inf else _TOP + kpi_count * _PITCH
        y[key] = max(spot, last + _PITCH, _TOP)
        last = y[key]
    drives = [e for e in tree["edges"] if e["kind"] == "drives"]
    lane = 24 + (min(60, 10 * max((abs(y[e["from"]] - y[e["to"]]) / _PITCH for e in drives), default=0)) if drives else 0)
    init_x = _COLS["kpi"][0] + _COLS["kpi"][1] + lane + 36
    pos = {}
    for key, n in nodes.items():
        x, w = _COLS[n["kind"]]
        if n["kind"] == "initiative":
            x = init_x
        pos[key] = (x + _LEFT, y[key], w)
    width = (init_x + _COLS["initiative"][1] if initiatives else _COLS["kpi"][0] + _COLS["kpi"][1] + lane) + 2 * _LEFT
    height = max((v[1] for v in pos.values()), default=_TOP) + _NODE_H + 12
    return pos, nodes, width, height


def _tree_desc(tree: dict) -> str:
    """The tree in sentences, for readers who cannot see the picture."""
    nodes = {n["key"]: n for n in tree["nodes"]}
    out = []
    count = {kind: sum(1 for n in nodes.values() if n["kind"] == kind and not n["placeholder"])
             for kind in ("goal", "objective", "kpi", "initiative")}
    out = [ngettext("{n} business goal", "{n} business goals", count["goal"]).format(n=count["goal"]),
           ngettext("{n} objective", "{n} objectives", count["objective"]).format(n=count["objective"]),
           ngettext("{n} KPI", "{n} KPIs", count["kpi"]).format(n=count["kpi"]),
           ngettext("{n} initiative", "{n} initiatives", count["initiative"]).format(n=count["initiative"])]
    sentences = [_("The plan has {parts}.").format(parts=", ".join(out))]

    def name(key: str) -> str:
        n = nodes[key]
        if n["placeholder"] and n["id"] == "none":
            return n["title"]
        return f"{n['id']} ({n['title']})"

    for e in tree["edges"]:
        if e["from"] not in nodes or e["to"] not in nodes:
            continue
        sentence = {"serves": _("{a} serves {b}."), "measures": _("{a} measures {b}."), "drives": _("{a} drives {b}."),
                    "moves": _("{a} moves {b}.")}[e["kind"]]
        if e.get("operator") and isinstance(e.get("share"), (int, float)):
            sentence = {"serves": _("{a} serves {b} (enters with {operator}, {share}% of its planned change)."),
                        "measures": _("{a} measures {b} (enters with {operator}, {share}% of its planned change)."),
                        "drives": _("{a} drives {b} (enters with {operator}, {share}% of its planned change)."),
                        "moves": _("{a} moves {b} (enters with {operator}, {share}% of its planned change).")}[e["kind"]]
        elif e.get("operator"):
            sentence = {"serves": _("{a} serves {b} (enters with {operator})."), "measures": _("{a} measures {b} (enters with {operator})."),
                        "drives": _("{a} drives {b} (enters with {operator})."), "moves": _("{a} moves {b} (enters with {operator}).")}[e["kind"]]
        share = f"{e['share'] * 100:.0f}" if isinstance(e.get("share"), (int, float)) else ""
        sentences.append(sentence.format(a=name(e["from"]), b=name(e["to"]), operator=e.get("operator"), share=share))
    for r in tree.get("relations", []):
        if r.get("agrees") is False:
            sentences.append(_("{kpi} = {formula}: its drivers imply {implied}, its target is {declared}.").format(
                kpi=r["kpi"], formula=r["formula"], implied=r["implied_text"], declared=r["declared_text"]))
    marked = [n for n in nodes.values() if n["findings"]]
    if marked:
        sentences.append(_("With findings: {list}.").format(list="; ".join(f"{n['id']} ({n['findings']})" for n in marked)))
    return " ".join(sentences)


def goal_tree_svg(tree: dict, ident: str, title: str) -> Markup:
    """The goal tree of a plan as an SVG diagram.

    Args:
        tree: ``{"nodes", "edges"}`` as :func:`kpi_policies.audit.goal_tree.goal_tree` returns.
        ident: A prefix that makes the picture's element ids unique in the page.
        title: The picture's title (the plan's name), untrusted text.

    Returns:
        The ``<svg>`` element: goals, objectives, KPIs and initiatives in four
        columns, lines from each objective to its goal and each KPI to its
        objective, arcs from each driver KPI to the KPI it drives, lines from
        each initiative to the KPIs it moves; nodes with active findings have
        a red double border and a badge with their number.
    """
    pos, nodes, width, height = _tree_layout(tree)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="tree" viewBox="0 0 {_n(width)} {_n(height)}" '
           f'width="{_n(width)}" height="{_n(height)}" role="img" aria-labelledby="{ident}-t {ident}-d" '
           f'font-family="{_e(FONT)}">',
           f'<title id="{ident}-t">{_e(title)}</title>',
           f'<desc id="{ident}-d">{_e(_tree_desc(tree))}</desc>',
           '<defs><marker id="' + ident + '-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#7c3aed"/></marker></defs>']
    kinds_present = {n["kind"] for n in nodes.values()}
    for kind, (fill, stroke, label) in ((k, (f, s, _(t))) for k, (f, s, t) in NODE_STYLE.items()):
        if kind not in kinds_present:
            continue
        x, w = _COLS[kind]
        if kind == "initiative":
            x = next(p[0] for k, p in pos.items() if nodes[k]["kind"] == "initiative") - _LEFT
        out.append(f'<text x="{_n(x + _LEFT)}" y="18" font-size="12" font-weight="700" fill="{stroke}">{_e(label)}</text>')
    # edges first, nodes on top
    for e in tree["edges"]:
        if e["from"] not in pos or e["to"] not in pos:
            continue
        fx, fy, fw = pos[e["from"]]
        tx, ty, tw = pos[e["to"]]
        fy, ty = fy + _NODE_H / 2, ty + _NODE_H / 2
        if e["kind"] in ("serves", "measures"):
            x1, x2 = fx, tx + tw
            mid = (x1 + x2) / 2
            out.append(f'<path d="M{_n(x1)},{_n(fy)} C{_n(mid)},{_n(fy)} {_n(mid)},{_n(ty)} {_n(x2)},{_n(ty)}" '
                       f'fill="none" stroke="#94a3b8" stroke-width="1.4"/>')
        elif e["kind"] == "moves":
            x1, x2 = fx, tx + tw
            mid = (x1 + x2) / 2
            out.append(f'<path d="M{_n(x1)},{_n(fy)} C{_n(mid)},{_n(fy)} {_n(mid)},{_n(ty)} {_n(x2)},{_n(ty)}" '
                       f'fill="none" stroke="#fdba74" stroke-width="1.2"/>')
    for e in tree["edges"]:
        if e["kind"] != "drives" or e["from"] not in pos or e["to"] not in pos:
            continue
        fx, fy, fw = pos[e["from"]]
        tx, ty, tw = pos[e["to"]]
        x = fx + fw
        y1, y2 = fy + _NODE_H / 2 + 5, ty + _NODE_H / 2 - 5
        bulge = x + 16 + min(60, 10 * abs(fy - ty) / _PITCH)
        out.append(f'<path d="M{_n(x)},{_n(y1)} C{_n(bulge)},{_n(y1)} {_n(bulge)},{_n(y2)} {_n(x + 2)},{_n(y2)}" '
                   f'fill="none" stroke="#7c3aed" stroke-width="1.3" stroke-dasharray="4 2" '
                   f'marker-end="url(#{ident}-arrow)"/>')
        if e.get("operator"):
            # the operator the driver enters its KPI's relation with, and its share of the planned change
            label = e["operator"] + (f" {e['share'] * 100:.0f}%" if isinstance(e.get("share"), (int, float)) else "")
            lx, ly = x + 4 + (bulge - x) * 0.75, y1 + (y2 - y1) * 0.25
            out.append(f'<text class="operator" x="{_n(lx)}" y="{_n(ly + 3.5)}" font-size="9.5" font-weight="700" '
                       f'fill="#5b21b6" stroke="#ffffff" stroke-width="2.5" paint-order="stroke">{_e(label)}</text>')
    for key, n in nodes.items():
        x, y, w = pos[key]
        fill, stroke, _label = NODE_STYLE[n["kind"]]
        marked = n["findings"] > 0
        tip = n["title"] if n["placeholder"] and n["id"] == "none" else f"{n['id']}: {n['title']}"
        if n["source"] == "strategy":
            tip += _(" (goal of the plan's strategy)")
        if marked:
            tip += " \u2014 " + ngettext("{n} finding", "{n} findings", n["findings"]).format(n=n["findings"])
        if n.get("suppressed"):
            tip += _(", {n} suppressed").format(n=n["suppressed"])
        out.append(f'<g class="node {n["kind"]}{" has-findings" if marked else ""}"><title>{_e(tip)}</title>')
        if n["placeholder"]:
            out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{w}" height="{_NODE_H}" rx="6" fill="#ffffff" '
                       f'stroke="{FINDING_COLOUR}" stroke-width="1.5" stroke-dasharray="5 3"/>')
        else:
            out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{w}" height="{_NODE_H}" rx="6" fill="{fill}" '
                       f'stroke="{FINDING_COLOUR if marked else stroke}" stroke-width="{2.5 if marked else 1.2}"/>')
            if marked:
                out.append(f'<rect x="{_n(x + 3)}" y="{_n(y + 3)}" width="{w - 6}" height="{_NODE_H - 6}" rx="4" '
                           f'fill="none" stroke="{FINDING_COLOUR}" stroke-width="0.8"/>')
        badge = 0
        if marked:
            label = str(n["findings"])
            badge = 14 + text_width(label, 10)
            out.append(f'<rect x="{_n(x + w - badge - 4)}" y="{_n(y + 4)}" width="{_n(badge)}" height="14" rx="7" '
                       f'fill="{FINDING_COLOUR}"/><text x="{_n(x + w - badge / 2 - 4)}" y="{_n(y + 14.5)}" '
                       f'font-size="10" font-weight="700" fill="#ffffff" text-anchor="middle">{_e(label)}</text>')
        head = n["id"] + (_(" \u00b7 strategy") if n["source"] == "strategy" else "")
        if n["placeholder"]:
            missing = {"goal": _("missing goal"), "objective": _("missing objective"), "kpi": _("missing kpi"),
                       "initiative": _("missing initiative")}
            head = missing.get(n["kind"], f"missing {n['kind']}") if n["id"] == "none" else _("{id} (missing)").format(id=n["id"])
        colour = FINDING_COLOUR if n["placeholder"] else "#111827"
        out.append(f'<text x="{_n(x + 7)}" y="{_n(y + 15)}" font-size="10.5" font-weight="700" fill="{colour}">'
                   f'{_e(fit(head, w - 14 - badge - 4, 10.5 * 1.1))}</text>')  # bold runs about 10% wider
        style = ' font-style="italic"' if n["placeholder"] else ""
        out.append(f'<text x="{_n(x + 7)}" y="{_n(y + 30)}" font-size="10.5" fill="#374151"{style}>'
                   f'{_e(fit(n["title"], w - 14, 10.5))}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))


# --- KPI progress ------------------------------------------------------------

def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering ``low``..``high`` (steps of 1, 2 or 5 times a power of ten)."""
    if high <= low:
        high = low + (abs(low) or 1)
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_VI = ("Th1", "Th2", "Th3", "Th4", "Th5", "Th6", "Th7", "Th8", "Th9", "Th10", "Th11", "Th12")


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _shift(day: dt.date, days: int) -> dt.date:
    """``day`` moved by ``days``, held within the calendar (9999-12-31 is a common "no deadline" date)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def _time_ticks(x0: dt.date, x1: dt.date, most: int = 8) -> list[dt.date]:
    """First days of the quarters from ``x0`` to ``x1``; over a long span, Januaries a round number of years apart.

    At most about ``most`` ticks whatever the span (a plan running to 9999
    gets a handful of labels, not thousands), never past the calendar's end.
    """
    first = x0.year * 12 + x0.month - 1  # months since year 0
    last = x1.year * 12 + x1.month - 1
    if (last - first) // 3 <= 3 * most:
        months = [m for m in range(first, last + 1, 1) if m % 3 == 0]
    else:
        years = (last - first) / 12
        step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000) if years / s <= most)
        months = [y * 12 for y in range(-(-x0.year // step) * step, x1.year + 1, step)]
    return [day for m in months if x0 <= (day := dt.date(m // 12, m % 12 + 1, 1)) <= x1]


def progress_desc(kpi: dict) -> str:
    """The chart in words: what the figures are, the target, the figures to date, attainment and forecast."""
    if language() != "en":
        return _progress_desc_translated(kpi)
    parts = []
    unit = f" {kpi['unit']}" if kpi.get("unit") else ""
    chart = kpi.get("chart") or {}
    cumulative = chart.get("kind") == "cumulative"
    if kpi.get("aggregation_text"):
        parts.append(f"Figures: {kpi['aggregation_text']}.")
    if kpi.get("baseline"):
        period = f" ({kpi['baseline']['period']})" if kpi["baseline"].get("period") else ""
        parts.append(f"Baseline {kpi['baseline']['value']:,}{unit}{period}" + (", not plotted: it covers a whole period." if cumulative else "."))
    if kpi.get("target"):
        due = f" due {kpi['target']['due']}" if kpi["target"].get("due") else ""
        parts.append(f"Target {kpi['target']['value']:,}{unit}{due} ({kpi.get('direction') or 'no direction'}).")
    reviews = kpi.get("reviews") or []
    if reviews:
        parts.append(f"{len(reviews)} review{'s' if len(reviews) != 1 else ''} from {reviews[0]['date']} to {reviews[-1]['date']}.")
    else:
        parts.append("No review with an actual value.")
    if kpi.get("actual_to_date") is not None:
        parts.append(f"{'Running total' if cumulative else 'Actual'} to {kpi.get('actual_through')}: {kpi['actual_to_date']:,}{unit}"
                     + (f" against a target to date of {kpi['target_to_date']:,}{unit}." if kpi.get("target_to_date") is not None else "."))
    if kpi.get("attainment") is not None:
        parts.append(f"{kpi['attainment'] * 100:.0f}% of the target attained.")
    if kpi.get("forecast") is not None:
        parts.append(f"Forecast at the due date {kpi['forecast']:,}{unit}.")
    return " ".join(parts)


def _progress_desc_translated(kpi: dict) -> str:
    """:func:`progress_desc` in the active language, with its numbers and dates."""
    from kpi_policies.i18n import format_amount, format_date

    def amount(value) -> str:
        return format_amount(value, kpi.get("unit"))

    parts = []
    chart = kpi.get("chart") or {}
    cumulative = chart.get("kind") == "cumulative"
    if kpi.get("aggregation_text"):
        parts.append(_("Figures: {what}.").format(what=_(kpi["aggregation_text"])))
    if kpi.get("baseline"):
        period = kpi["baseline"].get("period")
        if cumulative:
            text = (_("Baseline {value} ({period}), not plotted: it covers a whole period.") if period
                    else _("Baseline {value}, not plotted: it covers a whole period."))
        else:
            text = _("Baseline {value} ({period}).") if period else _("Baseline {value}.")
        parts.append(text.format(value=amount(kpi["baseline"]["value"]), period=period))
    if kpi.get("target"):
        due = kpi["target"].get("due")
        direction = _(kpi["direction"]) if kpi.get("direction") else _("no direction")
        parts.append((_("Target {value} due {due} ({direction}).") if due else _("Target {value} ({direction}).")).format(
            value=amount(kpi["target"]["value"]), due=format_date(due) if due else "", direction=direction))
    reviews = kpi.get("reviews") or []
    if reviews:
        parts.append(ngettext("{n} review from {first} to {last}.", "{n} reviews from {first} to {last}.", len(reviews)).format(
            n=len(reviews), first=format_date(reviews[0]["date"]), last=format_date(reviews[-1]["date"])))
    else:
        parts.append(_("No review with an actual value."))
    if kpi.get("actual_to_date") is not None:
        through = format_date(kpi["actual_through"]) if kpi.get("actual_through") else ""
        if kpi.get("target_to_date") is not None:
            text = (_("Running total to {date}: {actual} against a target to date of {target}.") if cumulative
                    else _("Actual to {date}: {actual} against a target to date of {target}."))
        else:
            text = _("Running total to {date}: {actual}.") if cumulative else _("Actual to {date}: {actual}.")
        parts.append(text.format(date=through, actual=amount(kpi["actual_to_date"]),
                                 target=amount(kpi["target_to_date"]) if kpi.get("target_to_date") is not None else ""))
    if kpi.get("attainment") is not None:
        parts.append(_("{share}% of the target attained.").format(share=f"{kpi['attainment'] * 100:.0f}"))
    if kpi.get("forecast") is not None:
        parts.append(_("Forecast at the due date {value}.").format(value=amount(kpi["forecast"])))
    return " ".join(parts)


def _points(items) -> list[tuple[dt.date, float]]:
    return [(d, p["value"]) for p in items or [] if p.get("value") is not None and (d := _date(p.get("date"))) is not None]


def progress_svg(kpi: dict, period: dict | None, ident: str) -> Markup:
    """One KPI's progress as a small time chart of what its figures mean.

    Args:
        kpi: A KPI entry of the report (see :func:`kpi_policies.audit.progress.kpi_progress`).
        period: The plan period ``{"start", "end"}`` (ISO dates) or ``None``.
        ident: A prefix that makes the chart's element ids unique in the page.

    Returns:
        The ``<svg>``. For totals and year-to-date figures (``chart.kind`` =
        ``cumulative``): the running total (blue) against the cumulative
        phased target to date (dotted), from zero; the baseline, a whole
        period's figure, is not plotted. For averages and latest values
        (``level``): each review's figure (blue) against the target's path
        (dotted) from the baseline (grey square). Always: the target (green
        ring and dashed level) at its due date, and the forecast at the due
        date (hollow blue ring, dashed from the last figure). Values share one
        vertical axis in the KPI's unit; time runs left to right.
    """
    w, h = 320, 156
    left, right, top, bottom = 50, 16, 14, 24
    pw, ph = w - left - right, h - top - bottom
    chart = kpi.get("chart") or {}
    cumulative = chart.get("kind") == "cumulative"
    baseline = kpi["baseline"]["value"] if kpi.get("baseline") and not cumulative else None
    target = kpi["target"]["value"] if kpi.get("target") else None
    due = _date(kpi["target"].get("due")) if kpi.get("target") else None
    window = kpi.get("window") or {}
    due = due or _date(window.get("end"))
    actual = _points(chart.get("actual"))
    planned = _points(chart.get("planned"))
    forecast = _points([chart["forecast"]]) if chart.get("forecast") else []
    start = _date(window.get("start")) or _date((period or {}).get("start"))
    end = _date((period or {}).get("end"))
    dates = [d for d, _ in actual + planned + forecast] + [d for d in (due, start, end) if d]
    title = _("{kpi} progress").format(kpi=kpi.get("id") or "")
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="progress" viewBox="0 0 {w} {h}" role="img" '
            f'aria-labelledby="{ident}-t {ident}-d" font-family="{_e(FONT)}">'
            f'<title id="{ident}-t">{_e(title)}</title>'
            f'<desc id="{ident}-d">{_e(progress_desc(kpi))}</desc>')
    values = [v for v in [baseline, target] + [a for _, a in actual + planned + forecast] if v is not None]
    if cumulative and values:
        values.append(0)
    if not values or not dates:
        head = head.replace(f'viewBox="0 0 {w} {h}"', f'viewBox="0 0 {w} 40"', 1)
        nothing = _("no baseline, target or review to chart")
        return Markup(head + f'<rect x="1" y="1" width="{w - 2}" height="38" rx="6" fill="#f9fafb" stroke="#d1d5db" '
                      f'stroke-dasharray="4 3"/><text x="{w / 2}" y="24" text-anchor="middle" font-size="12" '
                      f'fill="#4b5563">{_e(nothing)}</text></svg>')
    x0 = min([start] if start else dates)
    x0 = min([x0] + [d for d in dates if d < x0])
    x1 = max(dates)
    if x1 <= x0:
        x0, x1 = _shift(x0, -15), _shift(x1, 15)
    ticks = _nice_ticks(min(values), max(values))
    y0, y1 = ticks[0], ticks[-1]

    def sx(day: dt.date) -> float:
        return left + pw * (day - x0).days / (x1 - x0).days

    def sy(value: float) -> float:
        return top + ph - ph * (value - y0) / (y1 - y0)

    out = [head, f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#ffffff" stroke="#d1d5db"/>']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_n(sy(t))}" y2="{_n(sy(t))}" stroke="#eef0f3"/>'
                   f'<text x="{left - 4}" y="{_n(sy(t) + 3.5)}" font-size="9.5" text-anchor="end" fill="#4b5563">'
                   f'{_e(compact(t))}</text>')
    labelled = 0
    for month in _time_ticks(x0, x1):
        x = sx(month)
        label = (_MONTHS_VI if language() == "vi" else _MONTHS)[month.month - 1]
        if month.month == 1 or labelled == 0:
            label = f"{label} {month.year}"
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top + ph}" y2="{top + ph + 3}" stroke="#9ca3af"/>'
                   f'<text x="{_n(x)}" y="{top + ph + 14}" font-size="9.5" text-anchor="middle" fill="#4b5563">'
                   f'{_e(label)}</text>')
        labelled += 1
    if target is not None:
        label = _("target {value}").format(value=compact(target))
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_n(sy(target))}" y2="{_n(sy(target))}" '
                   f'stroke="#15803d" stroke-dasharray="5 3" stroke-width="1.2"/>'
                   f'<text x="{left + 3}" y="{_n(sy(target) - 4 if sy(target) > top + 12 else sy(target) + 11)}" '
                   f'font-size="9.5" fill="#166534">{_e(label)}</text>')
    if planned:
        path = " ".join(f"{_n(sx(d))},{_n(sy(v))}" for d, v in planned)
        out.append(f'<polyline points="{path}" fill="none" stroke="#6b7280" stroke-dasharray="1.5 2.5" stroke-width="1.4"/>')
    if baseline is not None:
        bx, by = sx(x0), sy(baseline)
        out.append(f'<rect x="{_n(bx - 4)}" y="{_n(by - 4)}" width="8" height="8" fill="#6b7280"/>')
    if actual and forecast:
        (ld, lv), (fd, fv) = actual[-1], forecast[0]
        out.append(f'<line x1="{_n(sx(ld))}" y1="{_n(sy(lv))}" x2="{_n(sx(fd))}" y2="{_n(sy(fv))}" stroke="#1d4ed8" '
                   f'stroke-dasharray="3 3" stroke-width="1.2"/>'
                   f'<circle cx="{_n(sx(fd))}" cy="{_n(sy(fv))}" r="3.4" fill="#ffffff" stroke="#1d4ed8" stroke-width="1.6"/>')
    if actual:
        points = " ".join(f"{_n(sx(d))},{_n(sy(a))}" for d, a in actual)
        out.append(f'<polyline points="{points}" fill="none" stroke="#1d4ed8" stroke-width="1.8"/>')
        for d, a in actual:
            out.append(f'<circle cx="{_n(sx(d))}" cy="{_n(sy(a))}" r="2.3" fill="#1d4ed8"/>')
        d, a = actual[-1]
        lx, ly = sx(d), sy(a)
        anchor = "end" if lx > left + pw * 0.6 else "start"
        dx = -6 if anchor == "end" else 6
        out.append(f'<circle cx="{_n(lx)}" cy="{_n(ly)}" r="3.6" fill="#1d4ed8" stroke="#ffffff" stroke-width="1.2"/>'
                   f'<text x="{_n(lx + dx)}" y="{_n(ly - 6 if ly > top + 14 else ly + 14)}" font-size="10" '
                   f'font-weight="700" text-anchor="{anchor}" fill="#1e3a8a">{_e(compact(a))}</text>')
    if target is not None and due is not None:
        tx, ty = sx(due), sy(target)
        out.append(f'<circle cx="{_n(tx)}" cy="{_n(ty)}" r="4.5" fill="#ffffff" stroke="#15803d" stroke-width="2"/>'
                   f'<circle cx="{_n(tx)}" cy="{_n(ty)}" r="1.6" fill="#15803d"/>')
    out.append("</svg>")
    return Markup("".join(out))


# --- compliance grid ---------------------------------------------------------

def compliance_svg(compliance: dict, rules: list[dict], ident: str) -> Markup:
    """Rules (columns, grouped by family) against files (rows) as a grid of outcomes.

    Args:
        compliance: ``{"rules": [rule id], "rows": [{"file", "id", "kind", "outcomes": [outcome per rule]}]}``.
        rules: The report's rule documentation (for names in the cells' tooltips).
        ident: A prefix that makes the picture's element ids unique in the page.

    Returns:
        The ``<svg>``: one cell per file and rule, a symbol and a colour per
        outcome (pass \u2713, fail \u2715, suppressed S, not applicable \u2013).
    """
    ids = compliance["rules"]
    rows = compliance["rows"]
    names = {r["id"]: r["name"] for r in rules}
    cell, gap = 15, 2
    label_w = 250
    families: list[tuple[str, int, int]] = []
    for i, rule_id in enumerate(ids):
        family = rule_id.rstrip("0123456789")
        if families and families[-1][0] == family:
            families[-1] = (family, families[-1][1], i)
        else:
            families.append((family, i, i))
    fam_gap = 6
    xs = []
    x = label_w
    for i, rule_id in enumerate(ids):
        if i and rule_id.rstrip("0123456789") != ids[i - 1].rstrip("0123456789"):
            x += fam_gap
        xs.append(x)
        x += cell + gap
    top = 62
    width = x + 8
    height = top + len(rows) * (cell + 4) + 6
    counts = {o: sum(r["outcomes"].count(o) for r in rows) for o in OUTCOME_STYLE}
    desc = (ngettext("{n} file against {rules} rules: ", "{n} files against {rules} rules: ", len(rows)).format(n=len(rows), rules=len(ids))
            + ", ".join(f"{counts[o]} {_(OUTCOME_STYLE[o][3])}" for o in OUTCOME_STYLE) + ". "
            + " ".join(_("{file}: {n} rules fail").format(file=r["file"], n=r["outcomes"].count("fail"))
                       + (_(", failing: {ids}").format(ids=", ".join(i for i, o in zip(ids, r["outcomes"]) if o == "fail"))
                          if "fail" in r["outcomes"] else "")
                       + "." for r in rows))
    title = _("Compliance overview: rules against files")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="grid" viewBox="0 0 {_n(width)} {height}" '
           f'width="{_n(width)}" height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" font-family="{_e(FONT)}">',
           f'<title id="{ident}-t">{_e(title)}</title>',
           f'<desc id="{ident}-d">{_e(desc)}</desc>']
    for family, first, last in families:
        x1, x2 = xs[first], xs[last] + cell
        out.append(f'<text x="{_n((x1 + x2) / 2)}" y="12" font-size="10.5" font-weight="700" text-anchor="middle" '
                   f'fill="#374151">{_e(family)}</text><line x1="{_n(x1)}" x2="{_n(x2)}" y1="16" y2="16" stroke="#9ca3af"/>')
    for i, rule_id in enumerate(ids):
        cx = xs[i] + cell / 2 + 3
        out.append(f'<text transform="translate({_n(cx)},{top - 4}) rotate(-65)" font-size="9" fill="#374151">'
                   f'{_e(rule_id)}</text>')
    for j, row in enumerate(rows):
        y = top + j * (cell + 4)
        label = row["file"] + (f" ({row['id']})" if row.get("id") else "")
        out.append(f'<text x="4" y="{_n(y + cell - 3.5)}" font-size="10.5" fill="#111827"><title>{_e(label)}</title>'
                   f'{_e(fit(row["file"], label_w - 12, 10.5))}</text>')
        for i, outcome in enumerate(row["outcomes"]):
            fill, symbol, colour, words = OUTCOME_STYLE[outcome]
            tip = f"{row['file']} \u00b7 {ids[i]} {names.get(ids[i], '')}: {_(words)}"
            out.append(f'<g><title>{_e(tip)}</title><rect x="{_n(xs[i])}" y="{_n(y)}" width="{cell}" height="{cell}" '
                       f'rx="2.5" fill="{fill}"/><text x="{_n(xs[i] + cell / 2)}" y="{_n(y + cell - 4)}" font-size="10" '
                       f'font-weight="700" text-anchor="middle" fill="{colour}">{symbol}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))
