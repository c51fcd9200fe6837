"""``kpi-policies init``: write a starting KPI plan (or, with ``--strategy``, a company strategy).

The plan walks through the five steps of the method (docs/domain.md, "How a
good plan is built") as comments: business goals, the KPIs that measure each
goal, targets against a baseline, drivers, and the plan and tracking. It
passes ``check`` on the day it is written. Every answer has a default, so
pressing Enter at each prompt gives a valid plan; flags answer the prompts
for scripts (``--yes`` takes the defaults of the rest). The figures in the
file are examples, marked as such, to be replaced with the team's own.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import click

from kpi_policies.cli.common import IsoDate, fail

#: Goal type -> (goal id, KPIs the method maps to it: (metric, example baseline, example target, tool, data source)).
#: The first KPI measures the goal (an outcome); the others are its drivers (docs/domain.md, steps 2 and 4).
GOAL_KPIS: dict[str, tuple[str, list[tuple[str, float, float, str, str]]]] = {
    "sales_growth": ("G-SALES", [
        ("revenue", 10_000_000_000, 11_000_000_000, "crm", "CRM monthly revenue report"),
        ("conversion_rate", 2.0, 2.1, "google-analytics-4", "GA4 session key event rate"),
        ("average_order_value", 500_000, 524_000, "crm", "CRM orders report"),
    ]),
    "brand_awareness": ("G-BRAND", [
        ("reach", 2_000_000, 2_500_000, "meta-ads", "Meta Ads reach report"),
        ("sessions", 300_000, 360_000, "google-analytics-4", "GA4 traffic acquisition report"),
        ("video_views", 1_000_000, 1_300_000, "youtube-studio", "YouTube Studio views report"),
    ]),
    "cost_efficiency": ("G-COST", [
        ("cost_per_acquisition", 250_000, 220_000, "google-ads", "Google Ads cost per conversion"),
        ("return_on_ad_spend", 3.0, 3.5, "google-ads", "Google Ads conversion value / cost"),
        ("cost_per_view", 400, 350, "google-ads", "Google Ads YouTube campaigns, avg. CPV"),
    ]),
    "customer_retention": ("G-RETENTION", [
        ("churn_rate", 8, 6, "crm", "CRM churn report"),
        ("repeat_purchase_rate", 25, 30, "crm", "CRM repeat customers report"),
    ]),
    "lead_generation": ("G-LEADS", [
        ("leads", 2_000, 2_400, "crm", "CRM new leads report"),
        ("cost_per_lead", 150_000, 130_000, "meta-ads", "Meta Ads cost per lead"),
        ("lead_to_customer_rate", 10, 12, "crm", "CRM lead conversion report"),
    ]),
    "market_share": ("G-SHARE", [
        ("market_share", 12, 14, "survey-tool", "Market research panel, value share"),
    ]),
    "profitability": ("G-PROFIT", [
        ("contribution_margin", 3_000_000_000, 3_300_000_000, "finance-erp", "Finance monthly margin report"),
        ("marketing_roi", 20, 25, "finance-erp", "Finance marketing ROI on contribution margin"),
    ]),
    "customer_satisfaction": ("G-SATISFACTION", [
        ("customer_satisfaction_score", 80, 85, "survey-tool", "After-purchase survey, CSAT question"),
        ("net_promoter_score", 30, 40, "survey-tool", "Quarterly NPS survey"),
    ]),
}

DEFAULT_GOALS = ("sales_growth", "brand_awareness", "cost_efficiency")
#: The file names init writes when none is given (their ids come from the department and period instead).
DEFAULT_STEMS = ("kpi-plan", "strategy")

#: Data sources of the KPIs above, in Vietnamese.
SOURCES_VI = {
    "CRM monthly revenue report": "Báo cáo doanh thu hằng tháng trên CRM",
    "GA4 session key event rate": "GA4, tỷ lệ sự kiện chính theo phiên",
    "CRM orders report": "Báo cáo đơn hàng trên CRM",
    "Meta Ads reach report": "Báo cáo lượt tiếp cận trên Meta Ads",
    "GA4 traffic acquisition report": "GA4, báo cáo thu hút lưu lượng truy cập",
    "YouTube Studio views report": "YouTube Studio, báo cáo lượt xem",
    "Google Ads cost per conversion": "Google Ads, chi phí mỗi lượt chuyển đổi",
    "Google Ads conversion value / cost": "Google Ads, giá trị chuyển đổi / chi phí",
    "Google Ads YouTube campaigns, avg. CPV": "Google Ads, chiến dịch YouTube, CPV trung bình",
    "CRM churn report": "Báo cáo khách hàng rời bỏ trên CRM",
    "CRM repeat customers report": "Báo cáo khách hàng mua lại trên CRM",
    "CRM new leads report": "Báo cáo khách hàng tiềm năng mới trên CRM",
    "Meta Ads cost per lead": "Meta Ads, chi phí mỗi khách hàng tiềm năng",
    "CRM lead conversion report": "Báo cáo chuyển đổi khách hàng tiềm năng trên CRM",
    "Market research panel, value share": "Khảo sát thị trường, thị phần theo giá trị",
    "Finance monthly margin report": "Báo cáo lợi nhuận gộp hằng tháng của phòng tài chính",
    "Finance marketing ROI on contribution margin": "Phòng tài chính, ROI marketing trên lợi nhuận gộp đóng góp",
    "After-purchase survey, CSAT question": "Khảo sát sau mua hàng, câu hỏi CSAT",
    "Quarterly NPS survey": "Khảo sát NPS hằng quý",
}

#: Text of the templates, by language.
TEXT = {
    "en": {
        "goal_titles": {
            "sales_growth": "Grow sales 10% on last year", "brand_awareness": "Grow brand awareness with new customers",
            "cost_efficiency": "Cut the advertising cost of each order", "customer_retention": "Keep existing customers and win repeat purchases",
            "lead_generation": "Generate more qualified leads", "market_share": "Grow market share",
            "profitability": "Grow the profit marketing brings", "customer_satisfaction": "Make customers more satisfied",
        },
        "objectives": {
            "sales_growth": "Online revenue +10% on last year (conversion rate +5%, order value +5%)",
            "brand_awareness": "Reach more new people in the target group",
            "cost_efficiency": "Lower the advertising cost of each order",
            "customer_retention": "Bring existing customers back",
            "lead_generation": "More leads, at a lower cost, that become customers",
            "market_share": "Win market share from competitors",
            "profitability": "Marketing that pays back on contribution margin",
            "customer_satisfaction": "A better experience after each purchase",
        },
        "initiative": "Actions that move {kpi}",
        "plan_title": "{Department} KPI plan {period}",
        "strategy_title": "Company strategy {period}",
        "header": "KPI plan written by `kpi-policies init` on {today}. Check it with: kpi-policies check {file}",
        "strategy_header": "Company strategy written by `kpi-policies init --strategy` on {today}: the business goals department plans serve.",
        "example": "EXAMPLE figures: replace every value marked # example with your own before the plan is approved.",
        "step1": "Step 1 - Goals: every marketing objective serves a business goal of the company.",
        "step1_objectives": "Step 1 (continued) - Marketing objectives, each serving one business goal above.",
        "step2": "Step 2 - KPIs: choose the indicators that measure each objective (`kpi-policies metrics` lists the catalog).",
        "step3": "Step 3 - Target: a number, a unit, a deadline and the baseline it is compared with.",
        "step4": "Step 4 - Drivers: the KPIs that move this one.",
        "step5": "Step 5 - Tracking: the measurement tool, the report the figure comes from, who measures, and the review cadence.",
        "step5_initiatives": "Step 5 - Plan: initiatives that move the drivers, each with an owner and dates.",
        "example_mark": "example",
        "strategy_goals": "Business goals: each department's KPI plan serves one or more of them (metadata.strategy).",
    },
    "vi": {
        "goal_titles": {
            "sales_growth": "Tăng doanh số 10% so với cùng kỳ năm trước", "brand_awareness": "Tăng mức độ nhận biết thương hiệu với khách hàng mới",
            "cost_efficiency": "Giảm chi phí quảng cáo trên mỗi đơn hàng", "customer_retention": "Giữ chân khách hàng hiện có và tăng tỷ lệ mua lại",
            "lead_generation": "Tăng số khách hàng tiềm năng chất lượng", "market_share": "Tăng thị phần",
            "profitability": "Tăng lợi nhuận mà marketing mang lại", "customer_satisfaction": "Tăng mức độ hài lòng của khách hàng",
        },
        "objectives": {
            "sales_growth": "Doanh thu online tăng 10% so với năm trước (tỷ lệ chuyển đổi +5%, giá trị đơn hàng +5%)",
            "brand_awareness": "Tiếp cận nhiều người mới trong nhóm khách hàng mục tiêu",
            "cost_efficiency": "Giảm chi phí quảng cáo trên mỗi đơn hàng",
            "customer_retention": "Đưa khách hàng hiện có quay lại mua hàng",
            "lead_generation": "Nhiều khách hàng tiềm năng hơn, chi phí thấp hơn, chuyển thành khách hàng",
            "market_share": "Giành thêm thị phần từ đối thủ",
            "profitability": "Marketing hoàn vốn trên lợi nhuận gộp đóng góp",
            "customer_satisfaction": "Trải nghiệm tốt hơn sau mỗi lần mua hàng",
        },
        "initiative": "Các hoạt động thúc đẩy {kpi}",
        "plan_title": "Kế hoạch KPI phòng {department} {period}",
        "strategy_title": "Chiến lược công ty {period}",
        "header": "Kế hoạch KPI do `kpi-policies init` tạo ngày {today}. Kiểm tra bằng lệnh: kpi-policies check {file}",
        "strategy_header": "Chiến lược công ty do `kpi-policies init --strategy` tạo ngày {today}: các mục tiêu kinh doanh mà kế hoạch của các phòng ban phục vụ.",
        "example": "SỐ LIỆU VÍ DỤ: thay mọi giá trị có ghi chú # ví dụ bằng số liệu thực của bạn trước khi trình duyệt kế hoạch.",
        "step1": "Bước 1 - Mục tiêu: mỗi mục tiêu marketing phục vụ một mục tiêu kinh doanh của công ty.",
        "step1_objectives": "Bước 1 (tiếp) - Mục tiêu marketing, mỗi mục tiêu phục vụ một mục tiêu kinh doanh ở trên.",
        "step2": "Bước 2 - Chỉ số KPI: chọn các chỉ số đo lường từng mục tiêu (lệnh `kpi-policies metrics` liệt kê danh mục chỉ số).",
        "step3": "Bước 3 - Chỉ tiêu: một con số, đơn vị, hạn hoàn thành và mức cơ sở để so sánh.",
        "step4": "Bước 4 - Yếu tố thúc đẩy: các chỉ số tác động lên chỉ số này.",
        "step5": "Bước 5 - Theo dõi: công cụ đo lường, báo cáo lấy số liệu, người đo và chu kỳ đánh giá.",
        "step5_initiatives": "Bước 5 - Kế hoạch hành động: các hoạt động thúc đẩy các yếu tố, mỗi hoạt động có người phụ trách và thời gian.",
        "example_mark": "ví dụ",
        "strategy_goals": "Mục tiêu kinh doanh: kế hoạch KPI của từng phòng ban phục vụ một hoặc nhiều mục tiêu này (metadata.strategy).",
    },
}


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The period a plan written today most likely covers.

    From October on, next calendar year; before, the rest of this year from the
    first day of this month (so that no review is already due on the day the
    plan is written).
    """
    if today.month >= 10:
        return dt.date(today.year + 1, 1, 1), dt.date(today.year + 1, 12, 31)
    return today.replace(day=1), dt.date(today.year, 12, 31)


def _slug(text: str) -> str:
    import unicodedata

    text = text.lower().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "plan"


def _period_label(start: dt.date, end: dt.date) -> str:
    if start.year == end.year and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return str(start.year)
    return f"{start.isoformat()} - {end.isoformat()}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def build_context(kind: str, lang: str, department: str, owner: str, start: dt.date, end: dt.date,
                  goals: list[str], currency: str, file: str, today: dt.date) -> dict:
    """Everything the templates need, with the KPIs the method maps to each goal."""
    from kpi_policies.catalog import builtin_catalog

    catalog = builtin_catalog()
    text = TEXT[lang]
    period = _period_label(start, end)
    baseline_period = str(start.year - 1)
    goal_rows, objectives, kpis, initiatives = [], [], [], []
    for goal_type in goals:
        goal_id, kpi_specs = GOAL_KPIS[goal_type]
        title = text["goal_titles"][goal_type]
        goal_rows.append({"id": goal_id, "title": _quote(title), "type": goal_type})
        objective_id = "OBJ-" + goal_id[2:]
        objectives.append({"id": objective_id, "title": _quote(text["objectives"][goal_type]), "goal": goal_id})
        ids = []
        for metric_id, base, target, tool, source in kpi_specs:
            metric = catalog.metrics[metric_id]
            ids.append("KPI-" + metric_id.upper().replace("_", "-"))
        for i, (metric_id, base, target, tool, source) in enumerate(kpi_specs):
            metric = catalog.metrics[metric_id]
            unit = currency if metric.unit == "currency" else metric.unit
            kpis.append({
                "id": ids[i], "name": _quote(metric.name_vi if lang == "vi" and metric.name_vi else metric.name),
                "owner": owner if i == 0 else f"{_slug(department)}-analyst", "objective": objective_id, "metric": metric_id,
                "unit": unit, "direction": "increase" if metric.better == "higher" else "decrease",
                "baseline": _number(base), "baseline_period": baseline_period, "target": _number(target), "due": end.isoformat(),
                "drivers": ids[1:] if i == 0 and len(ids) > 1 else [], "tool": tool, "source": _quote(SOURCES_VI.get(source, source) if lang == "vi" else source),
                "measured_by": f"{_slug(department)}-analyst", "reviewer": owner if i else "ceo",
                "cadence": "monthly", "first": not kpis,
            })
        driver = ids[1] if len(ids) > 1 else ids[0]
        driver_name = next(k["name"] for k in kpis if k["id"] == driver).strip('"')
        initiatives.append({"id": "INIT-" + goal_id[2:], "title": _quote(text["initiative"].format(kpi=driver_name)),
                            "kpis": [driver], "owner": owner, "start": start.isoformat(), "end": end.isoformat()})
    # the id follows the file's name when one is chosen, so two plans written side by side never share an id (GL007)
    stem = os.path.splitext(os.path.basename(file or ""))[0]
    default = _slug(f"{department}-{period}") if kind == "plan" else _slug(f"company-strategy-{period}")
    doc_id = _slug(stem) if stem and stem not in DEFAULT_STEMS else default
    return {
        "t": text, "lang": lang, "today": today.isoformat(), "file": file, "id": doc_id,
        "title": _quote((text["plan_title"] if kind == "plan" else text["strategy_title"]).format(department=department, Department=department[:1].upper() + department[1:], period=period)),
        "owner": owner, "department": _quote(department), "start": start.isoformat(), "end": end.isoformat(),
        "goals": goal_rows, "objectives": objectives, "kpis": kpis, "initiatives": initiatives,
    }


def render(kind: str, context: dict) -> str:
    """The file text of a plan (``kind="plan"``) or a strategy, from ``kpi_policies/templates/init-*.yaml.j2``."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("kpi_policies", "templates"), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)
    return env.get_template(f"init-{kind}.yaml.j2").render(**context)


def _default_lang() -> str:
    """``vi`` or ``en``: the command line's own ``--lang`` when it has one, else the locale."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.find_root().params.get("lang") if ctx is not None else None
    if chosen in ("vi", "en"):
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def _choose_goals(default: tuple[str, ...], lang: str) -> list[str]:
    types = list(GOAL_KPIS)
    titles = TEXT[lang]["goal_titles"]
    click.echo("Mục tiêu kinh doanh:" if lang == "vi" else "Business goals:")
    for i, goal_type in enumerate(types, 1):
        click.echo(f"  {i}. {goal_type:<22} {titles[goal_type]}")
    wanted = ",".join(str(types.index(g) + 1) for g in default)
    while True:
        answer = click.prompt("Chọn mục tiêu (số, cách nhau bởi dấu phẩy)" if lang == "vi" else "Choose goals (numbers, comma separated)",
                              default=wanted)
        try:
            picked = _parse_goals(answer)
        except ValueError as exc:
            click.echo(str(exc))
            continue
        return picked


def _parse_goals(answer: str) -> list[str]:
    """Goal numbers or ids, comma separated -> goal types, in order, without repeats.

    Raises:
        ValueError: naming the first answer that is neither.
    """
    types = list(GOAL_KPIS)
    out: list[str] = []
    for part in (p.strip() for p in answer.split(",")):
        if not part:
            continue
        if part.isdigit() and 1 <= int(part) <= len(types):
            goal = types[int(part) - 1]
        elif part in types:
            goal = part
        else:
            raise ValueError(f"'{part}' is not a goal: give numbers 1-{len(types)} or ids ({', '.join(types)})")
        if goal not in out:
            out.append(goal)
    if not out:
        raise ValueError("choose at least one goal")
    return out


@click.command(name="init")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--strategy", "is_strategy", is_flag=True, help="Write a company strategy (kind: Strategy) instead of a department's KPI plan.")
@click.option("--lang", type=click.Choice(["en", "vi"]), default=None,
              help="Language of the questions and of the template's text and comments. Default: the language chosen for "
                   "the whole command line, else vi when the locale is Vietnamese (LANG=vi_VN.UTF-8), else en.")
@click.option("--department", default=None, help="Department whose plan this is. Default: marketing.")
@click.option("--owner", default=None, help="Who owns the plan (and its outcome KPIs). Default: head-of-marketing (ceo for a strategy).")
@click.option("--start", type=IsoDate(), default=None, help="First day of the period. Default: next year from October on, else the first day of this month.")
@click.option("--end", type=IsoDate(), default=None, help="Last day of the period. Default: the end of that year.")
@click.option("--goals", default=None, help="Business goals, comma separated: ids or numbers (sales_growth, brand_awareness, cost_efficiency, "
                                            "customer_retention, lead_generation, market_share, profitability, customer_satisfaction). "
                                            "Default: sales_growth,brand_awareness,cost_efficiency.")
@click.option("--currency", default=None, help="ISO 4217 code of money amounts. Default: VND.")
@click.option("--yes", "-y", "assume_defaults", is_flag=True, help="Do not ask: take the default of every answer no flag gives.")
def init_command(file, is_strategy, lang, department, owner, start, end, goals, currency, assume_defaults) -> None:
    """Write a starting KPI plan that passes `check` today, walking through the five steps as comments.

    Asks for the department, the period, the business goals and the currency,
    each with a default (press Enter to take it), then writes FILE (default:
    kpi-plan.yaml, or strategy.yaml with --strategy) with the KPIs the method
    maps to each goal. The figures are examples to replace. An existing file
    is never overwritten.

    \b
    Examples:
      kpi-policies init
      kpi-policies init plans/marketing-2027.yaml --lang vi --goals sales_growth,lead_generation --yes
      kpi-policies init --strategy strategy.yaml --yes
    """
    from kpi_policies.units import is_currency_code

    lang = lang or _default_lang()
    kind = "strategy" if is_strategy else "plan"
    file = file or ("strategy.yaml" if is_strategy else "kpi-plan.yaml")
    if os.path.exists(file):
        fail(f"{file} already exists; init never overwrites a file: give another file name")
    today = dt.date.today()
    ask = not assume_defaults
    default_start, default_end = default_period(today)

    def answer(value, question_en, question_vi, default, **kwargs):
        if value is not None or not ask:
            return default if value is None else value
        return click.prompt(question_vi if lang == "vi" else question_en, default=default, **kwargs)

    department = "company" if is_strategy else answer(department, "Department", "Phòng ban", "marketing")
    owner = answer(owner, "Owner", "Người phụ trách", "ceo" if is_strategy else "head-of-marketing")
    start = answer(start, "Period start (YYYY-MM-DD)", "Ngày bắt đầu kỳ (YYYY-MM-DD)", default_start, type=IsoDate())
    end = answer(end, "Period end (YYYY-MM-DD)", "Ngày kết thúc kỳ (YYYY-MM-DD)", dt.date(start.year, 12, 31) if start != default_start else default_end,
                 type=IsoDate())
    if end <= start:
        fail(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if goals is not None:
        try:
            goal_types = _parse_goals(goals)
        except ValueError as exc:
            fail(f"--goals: {exc}")
    else:
        goal_types = _choose_goals(DEFAULT_GOALS, lang) if ask else list(DEFAULT_GOALS)
    currency = "VND" if is_strategy else answer(currency, "Currency (ISO 4217 code)", "Đơn vị tiền tệ (mã ISO 4217)", "VND")
    if not is_currency_code(currency):
        fail(f"currency '{currency}' is not an ISO 4217 code: write it like VND or USD")
    context = build_context(kind, lang, department, owner, start, end, goal_types, currency, file, today)
    text = render(kind, context)
    folder = os.path.dirname(file)
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(file, "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        fail(f"{file} already exists; init never overwrites a file: give another file name")
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror or exc}")
    if is_strategy:
        done = {"en": f"wrote {file}; name it in each plan's metadata.strategy ({context['id']}), then run: kpi-policies check {file}",
                "vi": f"đã tạo {file}; ghi mã {context['id']} vào metadata.strategy của từng kế hoạch, rồi chạy: kpi-policies check {file}"}
    else:
        done = {"en": f"wrote {file}; replace the example figures, then run: kpi-policies check {file}",
                "vi": f"đã tạo {file}; hãy thay các số liệu ví dụ, rồi chạy: kpi-policies check {file}"}
    click.echo(done[lang])
