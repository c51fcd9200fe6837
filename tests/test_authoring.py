"""Messages for the mistakes people make when they write a plan by hand: each says what to write."""

from __future__ import annotations

import pytest

from kpi_policies.rules.examples import REFERENCE_PLAN, REFERENCE_STRATEGY

from conftest import check_texts


def _messages(plan: str) -> list[tuple[str, int, str]]:
    result = check_texts({"plan.yaml": plan, "strategy.yaml": REFERENCE_STRATEGY})
    return [(f.rule_id, f.line, f.message) for f in result.findings if f.file == "plan.yaml"]


def _swap(old: str, new: str) -> str:
    assert old in REFERENCE_PLAN
    return REFERENCE_PLAN.replace(old, new, 1)


def test_indentation_slip_under_review_says_to_indent_and_suggests_no_rename():
    plan = _swap("    review:\n      cadence: monthly\n      reviewer: ceo\n      log:\n        - {date: 2027-03-31, actual: 4420000000}\n",
                 "    review:\n    cadence: monthly\n    reviewer: ceo\n    log:\n      - {date: 2027-03-31, actual: 4420000000}\n")
    found = _messages(plan)
    text = "\n".join(m for _, _, m in found)
    assert "must be indented under it" in text and "`review:`" in text
    assert "did you mean 'review'" not in text and "not None" not in text
    reviewer = [m for rid, _, m in found if rid == "S003" and "'reviewer'" in m]
    assert reviewer and "belongs under `review:`" in reviewer[0]


def test_a_tab_says_to_use_spaces_without_the_parsers_raw_text():
    plan = _swap("    review:\n      cadence: monthly\n", "    review:\n\t  cadence: monthly\n")
    (rid, _, message), = [f for f in _messages(plan) if f[0] == "Y001"]
    assert "tab" in message and "spaces" in message and "cannot start any token" not in message


@pytest.mark.parametrize("written,wanted", [
    ("18%", "`18`"),
    ("'2,5'", "`2.5`"),
    ("50.000.000.000", "`50000000000`"),
    ("50,000,000,000", "`50000000000`"),
    ("52,8 tỷ", "`52800000000`"),
    ("60 tỷ đồng", "`60000000000`"),
    ("53000000000 đồng", "`53000000000`"),
])
def test_numbers_written_as_people_write_them_get_the_form_to_write(written, wanted):
    plan = _swap("target: {value: 52800000000, due: 2027-12-31}", f"target:\n      value: {written}\n      due: 2027-12-31")
    messages = [m for rid, _, m in _messages(plan) if rid == "S001"]
    assert messages and wanted in messages[0], messages


def test_a_change_written_as_the_target_gets_the_value_to_reach():
    plan = _swap("target: {value: 52800000000, due: 2027-12-31}", "target:\n      value: tăng 10%\n      due: 2027-12-31")
    (message,) = [m for rid, _, m in _messages(plan) if rid == "S001"]
    assert "the value to reach" in message and "52800000000" in message and "direction: increase" in message


@pytest.mark.parametrize("written,wanted", [("31/12/2027", "`2027-12-31`"), ("31-12-2027", "`2027-12-31`"),
                                            ("2027/12/31", "`2027-12-31`")])
def test_day_first_dates_get_the_iso_form(written, wanted):
    plan = _swap("target: {value: 52800000000, due: 2027-12-31}", f"target: {{value: 52800000000, due: {written}}}")
    messages = [m for rid, _, m in _messages(plan) if rid == "S001"]
    assert messages and wanted in messages[0]


def test_a_metric_named_in_vietnamese_gets_the_catalog_id():
    plan = _swap("    metric: revenue\n", "    metric: doanh thu\n")
    messages = [m for rid, _, m in _messages(plan) if rid == "S001"]
    assert messages and "`metric: revenue`" in messages[0]


def test_an_empty_list_key_says_how_to_write_its_items():
    plan = _swap("      log:\n        - {date: 2027-03-31, actual: 4420000000}\n", "      log:\n")
    messages = [m for rid, _, m in _messages(plan) if rid == "S001"]
    assert messages and "each starting with '- '" in messages[0] and "log: []" in messages[0]


@pytest.mark.parametrize("written, expected", [
    ("target: tăng 10%", "write `target: {value: 52800000000, due: 2027-12-31}` (a target is the value to reach, not the change: "
                         "write that number (baseline 48000000000 +10% is 52800000000)"),
    ("target: 52800000000", "write `target: {value: 52800000000, due: 2027-12-31}`"),
])
def test_a_target_written_as_one_value_gets_the_form_to_write(written, expected):
    from conftest import check_texts

    text = REFERENCE_PLAN.replace("target: {value: 52800000000, due: 2027-12-31}", written, 1)
    assert written in text
    [finding] = [f for f in check_texts({"p.yaml": text}).findings if f.rule_id.startswith("S")]
    assert expected in finding.message
