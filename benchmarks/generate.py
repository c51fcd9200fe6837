"""Deterministic corpus of KPI plans for benchmarks: ``python benchmarks/generate.py OUT_DIR N``.

Writes ``N`` plans to ``OUT_DIR/plans/`` and three company strategies to
``OUT_DIR/strategies/``. Each plan has 20 to 40 KPIs with baselines, targets,
drivers, measurement, monthly or quarterly reviews with a log, initiatives,
and Vietnamese and English text (about 500 to 1,000 lines). About one plan in
ten carries a defect (a target against its direction, an unapproved tool, an
overdue review or an unknown objective). The same ``N`` always gives the same
bytes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

METRICS = [
    ("revenue", "VND", "increase", "crm", "Doanh thu kênh"),
    ("orders", "count", "increase", "crm", "Số đơn hàng"),
    ("average_order_value", "VND", "increase", "crm", "Giá trị đơn hàng trung bình"),
    ("conversion_rate", "percent", "increase", "google-analytics-4", "Tỷ lệ chuyển đổi"),
    ("sessions", "count", "increase", "google-analytics-4", "Số phiên truy cập"),
    ("cost_per_acquisition", "VND", "decrease", "google-ads", "Chi phí trên mỗi đơn"),
    ("churn_rate", "percent", "decrease", "crm", "Tỷ lệ rời bỏ"),
]
GOALS = [("G-SALES", "Tăng doanh số bán hàng trực tuyến", "sales_growth"),
         ("G-COST", "Tối ưu chi phí quảng cáo", "cost_efficiency"),
         ("G-RETENTION", "Giữ chân khách hàng hiện có", "customer_retention")]
OBJECTIVE_GOAL = {"revenue": "G-SALES", "orders": "G-SALES", "average_order_value": "G-SALES",
                  "conversion_rate": "G-SALES", "sessions": "G-SALES",
                  "cost_per_acquisition": "G-COST", "churn_rate": "G-RETENTION"}
DEFECTS = ["direction", "tool", "overdue", "objective"]


def strategy(n: int) -> str:
    goals = "\n".join(f"  - {{id: {g}, title: {t}, type: {k}}}" for g, t, k in GOALS)
    return (f"apiVersion: kpi-policies/v1\nkind: Strategy\nmetadata:\n  id: company-strategy-{n}\n"
            f"  title: Chiến lược công ty {n}\n  owner: ceo\n  period: {{start: 2026-01-01, end: 2026-12-31}}\ngoals:\n{goals}\n")


def plan(i: int, rng: random.Random) -> str:
    defect = DEFECTS[(i // 10) % len(DEFECTS)] if i % 10 == 3 else None
    kpi_count = rng.randint(20, 40)
    lines = [
        "# yaml-language-server: $schema=../../schemas/kpi-plan.schema.json",
        f"# Benchmark plan {i}: generated, deterministic.",
        "apiVersion: kpi-policies/v1",
        "kind: KpiPlan",
        "metadata:",
        f"  id: team-{i:05d}-2026",
        f"  title: Kế hoạch KPI nhóm {i} năm 2026",
        f"  owner: lead-{i % 97}",
        "  department: marketing",
        f"  strategy: company-strategy-{i % 3}",
        "  period:",
        "    start: 2026-01-01",
        "    end: 2026-12-31",
        "objectives:",
        "  - {id: OBJ-SALES, title: Doanh thu online tăng 10% so với cùng kỳ, goal: G-SALES}",
        "  - {id: OBJ-COST, title: Giảm chi phí quảng cáo trên mỗi đơn hàng, goal: G-COST}",
        "  - {id: OBJ-KEEP, title: Keep paying customers longer, goal: G-RETENTION}",
        "kpis:",
    ]
    objectives = {"G-SALES": "OBJ-SALES", "G-COST": "OBJ-COST", "G-RETENTION": "OBJ-KEEP"}
    used = set()
    for k in range(kpi_count):
        metric, unit, direction, tool, name = METRICS[k % len(METRICS)]
        if k < len(METRICS):
            used.add(metric)
        base = {"VND": rng.randint(50_000, 5_000_000) * 1000, "count": rng.randint(1_000, 90_000),
                "percent": round(rng.uniform(1.5, 9.5), 1)}[unit]
        step = 1.08 if direction == "increase" else 0.92
        target = round(base * step, 1) if unit == "percent" else int(base * step)
        if defect == "direction" and k == 0:
            target = round(base * 0.5, 1) if unit == "percent" else int(base * 0.5)
        cadence = "quarterly" if k % 4 == 3 else "monthly"
        kid = f"KPI-{k:02d}"
        lines += [
            f"  - id: {kid}",
            f"    name: {name} {k} ({'Việt Nam' if k % 2 else 'online'})",
            f"    owner: owner-{k % 5}",
            f"    objective: {'OBJ-PROFIT' if defect == 'objective' and k == 1 else objectives[OBJECTIVE_GOAL[metric]]}",
            f"    metric: {metric}",
            f"    unit: {unit}",
            f"    direction: {direction}",
            f"    baseline: {{value: {base}, period: 2025}}",
            f"    target: {{value: {target}, due: 2026-12-31}}",
        ]
        if k >= 2 and metric == "revenue":
            lines.append(f"    drivers: [KPI-{k - 2:02d}, KPI-{k - 1:02d}]")
        lines += [
            "    measurement:",
            f"      tool: {'excel-sheet' if defect == 'tool' and k == 2 else tool}",
            f"      source: Báo cáo tháng {k} trong {tool} (monthly export)",
            f"      owner: analyst-{k % 7}",
            "    review:",
            f"      cadence: {cadence}",
            "      reviewer: head-of-marketing",
            "      log:",
        ]
        months = range(3, 12, 3) if cadence == "quarterly" else range(1, 12)
        if defect == "overdue" and k == 3:
            months = range(1, 4)
        for m in months:
            actual = round(base * (1 + m / 200), 1) if unit == "percent" else int(base * (1 + m / 200))
            lines.append(f"        - {{date: 2026-{m:02d}-28, actual: {actual}, note: Tháng {m} ổn định}}")
    lines.append("initiatives:")
    for n in range(3):
        lines += [f"  - id: INIT-{n}", f"    title: Sáng kiến {n} - tối ưu kênh bán hàng", f"    kpis: [KPI-{n:02d}]",
                  f"    owner: team-{n}", "    start: 2026-02-01", "    end: 2026-10-31"]
    return "\n".join(lines) + "\n"


def big_plan(kpis: int, waivers: bool) -> str:
    """One plan of ``kpis`` KPIs whose targets each triple without a justification (FE005); with ``waivers``
    every target line carries an inline waiver of that finding."""
    lines = [
        "apiVersion: kpi-policies/v1",
        "kind: KpiPlan",
        "metadata:",
        "  id: big-plan-2026",
        "  title: One plan with many KPIs",
        "  owner: head-of-marketing",
        "  department: marketing",
        "  period: {start: 2026-01-01, end: 2026-12-31}",
        "goals:",
        "  - {id: G-SALES, title: Grow sales, type: sales_growth}",
        "objectives:",
        "  - {id: OBJ-SALES, title: More orders online, goal: G-SALES}",
        "kpis:",
    ]
    waiver = '  # kpi-policies: ignore[FE005] reason="Launch of the new channel, agreed with finance" until=2026-12-31'
    for k in range(kpis):
        lines += [
            f"  - id: KPI-{k:05d}",
            f"    name: Orders of product line {k}",
            "    owner: sales-lead",
            "    objective: OBJ-SALES",
            "    metric: orders",
            "    unit: count",
            "    direction: increase",
            f"    baseline: {{value: {1000 + k}, period: 2025}}",
            f"    target: {{value: {(1000 + k) * 3}, due: 2026-12-31}}" + (waiver if waivers else ""),
            "    measurement: {tool: crm, source: CRM orders report, owner: analyst}",
            "    review: {cadence: monthly, reviewer: head-of-marketing}",
        ]
    return "\n".join(lines) + "\n"


def generate(out: Path, count: int) -> list[Path]:
    """Write the corpus; returns the plan files."""
    rng = random.Random(20261130)
    (out / "plans").mkdir(parents=True, exist_ok=True)
    (out / "strategies").mkdir(parents=True, exist_ok=True)
    for n in range(3):
        (out / "strategies" / f"company-strategy-{n}.yaml").write_text(strategy(n), encoding="utf-8")
    files = []
    for i in range(count):
        path = out / "plans" / f"team-{i:05d}.yaml"
        path.write_text(plan(i, rng), encoding="utf-8")
        files.append(path)
    return files


if __name__ == "__main__":
    target, n = Path(sys.argv[1]), int(sys.argv[2])
    generate(target, n)
    print(f"wrote {n} plans and 3 strategies to {target}")
