"""Vietnamese and English: every message translated, the language chosen as documented, English unchanged."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kpi_policies import i18n
from kpi_policies.i18n_catalog import TRANSLATED, problems, source_messages
from kpi_policies.rules.registry import all_rules

from conftest import ROOT, run_cli
from test_rules import _run_example

#: Rules whose messages are not translated yet, with the reason (keep this short).
NOT_TRANSLATED = {
    "SU003": "written by the engine (engine/run.py), still English",
}

BROKEN_PLAN = """\
apiVersion: kpi-policies/v1
kind: KpiPlan
metadata:
  id: shop-2027
  title: Kế hoạch marketing 2027
  owner: Lan
  department: Marketing
  period: {start: 2027-01-01, end: 2027-12-31}
goals:
  - id: G-SALES
    title: Tăng doanh số online
    type: sales_growth
objectives:
  - id: OBJ-REVENUE
    title: Tăng doanh thu web
    goal: G-SALES
kpis:
  - id: KPI-REVENUE
    name: Doanh thu web
    objective: OBJ-REVENUE
    metric: revenue
    unit: VND
    direction: increase
    baseline: {value: 50000000000, period: 2026}
    target: {value: 40000000000, due: 2027-12-31}
    measurement: {tool: google-analytics-4, source: Báo cáo doanh thu, owner: Lan}
"""


@pytest.fixture
def vietnamese():
    """Run the test body in Vietnamese, then back to English."""
    i18n.set_language("vi")
    try:
        yield
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_current_translation(lang):
    """Every text marked with _() / N_() / ngettext(), rule summary and main help has a non-fuzzy
    translation keeping its {placeholders}, and the shipped .mo is compiled from the .po."""
    assert problems(lang) == []


def test_the_catalog_holds_the_finding_messages_of_every_family():
    where = {w for ws in source_messages().values() for w in ws}
    for module in ("goal_linkage", "feasibility", "measurement", "review_cadence", "kpi_fit"):
        assert f"kpi_policies/rules/{module}.py" in where
    assert "kpi_policies/schema.py" in where and "kpi_policies/suppressions.py" in where
    assert "kpi_policies/templates/audit.html.j2" in where


FAIL_EXAMPLES = [(r, i) for r in all_rules() if r.family() not in NOT_TRANSLATED and r.id not in NOT_TRANSLATED
                 for i, _ in enumerate(r.examples("Fails"))]


@pytest.mark.parametrize("rule,index", FAIL_EXAMPLES, ids=lambda x: getattr(x, "id", str(x)))
def test_finding_messages_are_translated(rule, index):
    """A rule's failing example gives a different, Vietnamese message in Vietnamese (same rule, same place)."""
    example = rule.examples("Fails")[index]
    english = [(f.rule_id, f.line, f.column, f.message) for f in _run_example(rule, example) if f.rule_id == rule.id]
    i18n.set_language("vi")
    try:
        vietnamese = [(f.rule_id, f.line, f.column, f.message) for f in _run_example(rule, example) if f.rule_id == rule.id]
    finally:
        i18n.set_language("en")
    assert [e[:3] for e in english] == [v[:3] for v in vietnamese]
    for (*_, en), (*_, vi) in zip(english, vietnamese):
        assert vi != en, f"{rule.id} message is not translated: {en}"


def test_check_in_vietnamese_and_english(tmp_path):
    (tmp_path / "plan.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    vi = run_cli("--lang", "vi", "check", "plan.yaml", "--as-of", "2027-04-10", "--no-cache", cwd=tmp_path)
    assert vi.returncode == 1
    assert ("KPI KPI-REVENUE cần tăng, nhưng mục tiêu 40.000.000.000 lại thấp hơn mức cơ sở 50.000.000.000"
            in vi.stdout)
    assert "Đã kiểm tra 1 tệp tính đến ngày 10/04/2027: 2 lỗi" in vi.stdout
    en = run_cli("check", "plan.yaml", "--as-of", "2027-04-10", "--no-cache", cwd=tmp_path, env={"LANG": "C.UTF-8"})
    assert "KPI KPI-REVENUE should increase, but its target 40,000,000,000 is below its baseline 50,000,000,000" in en.stdout
    assert "1 file checked as of 2027-04-10: 2 errors, 3 warnings, 0 infos; 0 files clean" in en.stdout


def test_language_from_locale_and_configuration(tmp_path):
    (tmp_path / "plan.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    args = ("check", "plan.yaml", "--as-of", "2027-04-10", "--no-cache")
    by_locale = run_cli(*args, cwd=tmp_path, env={"LANG": "vi_VN.UTF-8", "LC_ALL": "", "LANGUAGE": "", "KPI_POLICIES_LANG": ""})
    assert "mức cơ sở" in by_locale.stdout
    (tmp_path / "kpi-policies.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Config\nlang: vi\n", encoding="utf-8")
    by_config = run_cli(*args, cwd=tmp_path, env={"LANG": "C.UTF-8"})
    assert "mức cơ sở" in by_config.stdout
    assert "lang:     vi    <- " + str(tmp_path / "kpi-policies.yaml") in run_cli("config", "--show", cwd=tmp_path).stdout
    flag_wins = run_cli("--lang", "en", *args, cwd=tmp_path)
    assert "should increase" in flag_wins.stdout
    assert "lang:     en    <- --lang" in run_cli("--lang", "en", "config", "--show", cwd=tmp_path).stdout
    (tmp_path / "kpi-policies.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Config\nlang: fr\n", encoding="utf-8")
    bad = run_cli(*args, cwd=tmp_path)
    assert bad.returncode == 2 and "lang" in bad.stderr and "Traceback" not in bad.stderr


def test_machine_formats_keep_ids_and_fields_and_translate_messages(tmp_path):
    (tmp_path / "plan.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    args = ("check", "plan.yaml", "--as-of", "2027-04-10", "--no-cache", "--format", "json")
    en = json.loads(run_cli(*args, cwd=tmp_path).stdout)
    vi = json.loads(run_cli("--lang", "vi", *args, cwd=tmp_path).stdout)

    def shape(report):
        return [(f["rule_id"], f["severity"], f["line"], f["column"], sorted(f)) for f in report["findings"]]

    assert shape(en) == shape(vi) and set(en) == set(vi)
    assert en["as_of"] == vi["as_of"] == "2027-04-10"  # ISO in machine formats
    assert [f["message"] for f in en["findings"]] != [f["message"] for f in vi["findings"]]
    sarif = json.loads(run_cli("--lang", "vi", "check", "plan.yaml", "--as-of", "2027-04-10", "--no-cache",
                               "--format", "sarif", cwd=tmp_path).stdout)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"FE004", "RC001", "CH004", "DR008", "GL011"}
    assert any("mức cơ sở" in r["message"]["text"] for r in results)


def test_html_report_is_a_vietnamese_page(tmp_path):
    (tmp_path / "plan.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    args = ("report", "plan.yaml", "--as-of", "2027-04-10", "--format", "html", "--reproducible")
    vi = run_cli("--lang", "vi", *args, cwd=tmp_path)
    assert vi.returncode == 0, vi.stderr
    page = vi.stdout
    assert '<html lang="vi">' in page
    assert "<title>Báo cáo kiểm tra kế hoạch KPI tính đến ngày 10/04/2027</title>" in page
    for text in ("Tổng quan", "Bằng chứng", "Mức cơ sở", "Mục tiêu", "50 tỷ ₫", "40 tỷ ₫",
                 "KPI KPI-REVENUE cần tăng", "Vì sao quan trọng:"):
        assert text in page, text
    en = run_cli(*args, cwd=tmp_path).stdout
    assert '<html lang="en">' in en and "<title>KPI plan audit report as of 2027-04-10</title>" in en
    assert "50,000,000,000 VND" in en and "tỷ" not in en


def test_markdown_summary_in_vietnamese(tmp_path):
    (tmp_path / "plan.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    out = run_cli("--lang", "vi", "check", "plan.yaml", "--as-of", "2027-04-10", "--no-cache", "--format", "markdown",
                  cwd=tmp_path).stdout
    assert "## kpi-policies: không đạt" in out
    assert "Đã kiểm tra 1 tệp tính đến ngày 10/04/2027: **2 lỗi**" in out
    assert "| dòng | quy tắc | mức độ | nội dung |" in out


def test_explain_and_help_in_vietnamese():
    explain = run_cli("--lang", "vi", "explain", "FE001")
    assert "KPI không có mức cơ sở để so sánh với mục tiêu." in explain.stdout
    assert "## Vì sao quan trọng" in explain.stdout and "```yaml" in explain.stdout
    assert "KPI has no baseline to compare its target with." in run_cli("explain", "FE001").stdout
    help_text = run_cli("--lang", "vi", "check", "--help").stdout
    assert "Kiểm tra kế hoạch KPI và chiến lược." in help_text and "Ví dụ:" in help_text
    assert help_text.startswith("Cách dùng: ") and "Tùy chọn:" in help_text
    assert "Hiện hướng dẫn này rồi thoát." in help_text
    english = run_cli("check", "--help").stdout
    assert english.startswith("Usage: ") and "Check KPI plans and strategies." in english


def test_vietnamese_numbers_and_dates_for_human_reports():
    assert i18n.format_amount(70_000_000_000, "VND", "vi") == "70 tỷ ₫"
    assert i18n.format_amount(1_234_567, "VND", "vi") == "1.234.567 ₫"
    assert i18n.format_number(2.5, "vi") == "2,5"
    assert i18n.format_date(dt.date(2026, 12, 31), "vi") == "31/12/2026"
    assert i18n.format_date("2026-12-31", "en") == "2026-12-31"
    assert i18n.format_number(1234567.25, "en") == "1,234,567.25"


@pytest.mark.parametrize("env,expected", [
    ({"LANG": "vi_VN.UTF-8"}, "vi"), ({"LANG": "C.UTF-8"}, None), ({"LANGUAGE": "vi:en", "LANG": "en_US.UTF-8"}, "vi"),
    ({"LC_ALL": "C", "LANG": "vi_VN.UTF-8"}, None), ({"KPI_POLICIES_LANG": "vi", "LANG": "C"}, "vi"), ({}, None),
])
def test_language_from_environment(env, expected):
    assert i18n.from_environment(env) == expected
    assert i18n.resolve("en", "vi", env) == "en" and i18n.resolve(None, "vi", env) == "vi"


def test_english_needs_no_catalog(vietnamese):
    assert i18n._("the document") == "tài liệu"
    i18n.set_language("en")
    assert i18n._("the document") == "the document"


def test_the_mo_catalog_is_in_the_package():
    assert (ROOT / "kpi_policies" / "locale" / "vi" / "LC_MESSAGES" / "kpi_policies.mo").is_file()
    assert (ROOT / "kpi_policies" / "locale" / "vi" / "LC_MESSAGES" / "kpi_policies.po").is_file()


def test_no_message_is_marked_inside_an_f_string():
    """Babel cannot see ``_("...")`` written inside an f-string's braces: such a text would never reach the catalog."""
    import io
    import re
    import tokenize

    call = re.compile(r"\b(_|N_|ngettext)\(\s*[rbu]?['\"]")
    found = []
    for path in (ROOT / "kpi_policies").rglob("*.py"):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            prefix = re.match(r"[A-Za-z]*", token.string).group().lower()
            if token.type == tokenize.STRING and "f" in prefix and call.search(token.string):
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
            if getattr(tokenize, "FSTRING_MIDDLE", None) == token.type and call.search(token.string):
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert found == []


def test_the_result_cache_keeps_languages_apart(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "plan.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    args = ("check", "plan.yaml", "--as-of", "2027-04-10")
    assert "mức cơ sở" in run_cli("--lang", "vi", *args, cwd=tmp_path).stdout
    assert (tmp_path / ".kpi-policies-cache").is_dir()
    english = run_cli("--lang", "en", *args, cwd=tmp_path).stdout
    assert "should increase" in english and "mức cơ sở" not in english


def test_a_run_in_this_process_leaves_the_language_as_it_was(tmp_path, capsys):
    from kpi_policies.cli.app import cli

    (tmp_path / "plan.yaml").write_text(BROKEN_PLAN, encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["--lang", "vi", "check", str(tmp_path / "plan.yaml"), "--as-of", "2027-04-10", "--no-cache"],
                 standalone_mode=False)
    assert "mức cơ sở" in capsys.readouterr().out
    assert i18n.language() == "en" and i18n._("the document") == "the document"
