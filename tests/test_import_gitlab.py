"""``kpi-policies import gitlab-pi``: GitLab handbook performance indicators to a KpiPlan.

The converter keeps what the source says and invents nothing, so checking the
result shows the source's real gaps (no targets, no cadence, no tools).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kpi_policies.importers.gitlab_pi import ImportError_, convert, convert_file
from kpi_policies.load import load_file, load_text

from conftest import run_cli

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "fixtures" / "gitlab" / "marketing-sample.yml"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-inputs" / "gitlab-performance-indicators"

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# What a converted KPI may hold: nothing the source cannot say.
ALLOWED_KPI_KEYS = {"id", "name", "description", "owner", "measurement", "x-gitlab"}
# The schema requires metadata.owner/period/department, which the source does
# not have; the converter leaves them out on purpose (see the module docs).
LEFT_OUT_ON_PURPOSE = {"owner", "period", "department"}


def check_findings(path: Path) -> list[dict]:
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "json", str(path))
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["findings"]


def schema_findings(findings: list[dict]) -> list[dict]:
    """S findings other than the metadata keys the source cannot fill."""
    out = []
    for f in findings:
        if not f["rule_id"].startswith("S"):
            continue
        left_out = re.fullmatch(r"metadata is missing required key '(\w+)'", f["message"])
        if f["rule_id"] == "S004" and f["pointer"] == "/metadata" and left_out and left_out.group(1) in LEFT_OUT_ON_PURPOSE:
            continue
        out.append(f)
    return out


def rules_by_kpi(findings: list[dict]) -> dict[int, set[str]]:
    by_kpi: dict[int, set[str]] = {}
    for f in findings:
        m = re.match(r"^/kpis/(\d+)(?:/|$)", f.get("pointer") or "")
        if m:
            by_kpi.setdefault(int(m.group(1)), set()).add(f["rule_id"])
    return by_kpi


def convert_to(tmp_path: Path, source: Path, name: str = "plan.yaml") -> tuple[Path, dict]:
    out = tmp_path / name
    out.write_text(convert_file(str(source)), encoding="utf-8")
    doc = load_file(str(out))
    assert doc.problems == []
    return out, doc.data


# --------------------------------------------------------------------------- own sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out, plan = convert_to(tmp_path_factory.mktemp("gitlab"), SAMPLE)
    return out, plan


def test_sample_converts_to_a_schema_valid_plan_with_one_kpi_per_entry(sample):
    out, plan = sample
    assert plan["apiVersion"] == "kpi-policies/v1"
    assert plan["kind"] == "KpiPlan"
    assert plan["metadata"] == {
        "id": "gitlab-marketing-sample",
        "title": "Marketing performance indicators (GitLab handbook)",
        "department": "marketing",
    }
    assert [k["name"] for k in plan["kpis"]] == [
        "Marketing Qualified Leads (MQLs)",
        "Social Media Followers",
        "Webinar registrations",
        "Social media followers!",
    ]
    assert schema_findings(check_findings(out)) == []


def test_sample_check_shows_the_sources_gaps_for_every_kpi(sample):
    out, plan = sample
    by_kpi = rules_by_kpi(check_findings(out))
    for index, kpi in enumerate(plan["kpis"]):
        families = {rule[:2] for rule in by_kpi.get(index, set())}
        assert {"FE", "RC", "MT"} <= families, (kpi["id"], sorted(by_kpi.get(index, set())))


def test_free_text_target_is_kept_under_x_gitlab_and_empty_ones_are_dropped(sample):
    _, plan = sample
    mql, social, webinar, social2 = plan["kpis"]
    assert webinar["x-gitlab"]["target"] == "At or greater than 500 registrations per quarter"
    assert "target" not in mql["x-gitlab"]  # `target:` left empty in the source
    assert "target" not in social["x-gitlab"]  # no target key at all
    assert "target" not in social2["x-gitlab"]  # only blanks
    assert webinar["x-gitlab"]["health"] == {"level": 2, "reasons": ["Below target for two quarters."]}
    assert webinar["x-gitlab"]["parent"] == "/handbook/marketing/performance-indicators/#events"
    assert webinar["x-gitlab"]["lessons"] == {"improve": ["Promote webinars earlier."]}
    assert webinar["x-gitlab"]["is_key"] is False and webinar["x-gitlab"]["public"] is False
    assert social["x-gitlab"]["base_path"] == "/handbook/marketing/performance-indicators/"


def test_html_is_stripped_from_definition_and_dri(sample):
    _, plan = sample
    mql = plan["kpis"][0]
    assert mql["description"] == (
        "Total number of Marketo Qualified Leads per month. Sales & marketing agree on the definition."
    )
    assert mql["owner"] == "Owner 1"
    text = sample[0].read_text(encoding="utf-8")
    assert "<a " not in text and "</a>" not in text and "&amp;" not in text and "<br>" not in text
    assert "description" not in plan["kpis"][3]  # empty definition: no description


def test_measurement_holds_only_the_source_the_entry_names(sample):
    _, plan = sample
    mql, social, webinar, social2 = plan["kpis"]
    assert "measurement" not in mql and "measurement" not in social2
    assert social["measurement"] == {"source": "Sisense dashboard 621921, chart 8146731"}
    assert webinar["measurement"] == {
        "source": "https://app.periscopedata.com/app/gitlab/000001/Webinars, "
        "https://app.periscopedata.com/app/gitlab/000002/Webinar-Funnel"
    }


def test_ids_are_unique_valid_and_readable(sample):
    _, plan = sample
    ids = [k["id"] for k in plan["kpis"]]
    assert ids == [
        "KPI-MARKETING-QUALIFIED-LEADS-MQLS",
        "KPI-SOCIAL-MEDIA-FOLLOWERS",
        "KPI-WEBINAR-REGISTRATIONS",
        "KPI-SOCIAL-MEDIA-FOLLOWERS-2",
    ]
    assert all(ID_PATTERN.match(i) for i in ids)


def test_nothing_is_invented(sample):
    _, plan = sample
    assert set(plan) == {"apiVersion", "kind", "metadata", "kpis"}  # no goals, objectives, initiatives
    assert "owner" not in plan["metadata"] and "period" not in plan["metadata"]
    for kpi in plan["kpis"]:
        assert set(kpi) <= ALLOWED_KPI_KEYS, kpi["id"]
        assert set(kpi.get("measurement", {})) <= {"source"}
        for key in ("target", "baseline", "review", "objective", "metric", "unit", "direction"):
            assert key not in kpi


def test_output_starts_with_the_header_comment_naming_only_the_file(sample):
    out, _ = sample
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# Converted by kpi-policies import gitlab-pi from marketing-sample.yml."
    assert lines[1].startswith("# ") and "left out on purpose" in lines[1] and "x-gitlab" in lines[1]
    assert str(SAMPLE.parent) not in lines[0]
    assert lines[2] == "apiVersion: kpi-policies/v1"


# --------------------------------------------------------------------------- convert() details


def test_plan_id_and_title_without_a_shared_org():
    plan = convert([{"name": "A", "org": "Sales"}, {"name": "B", "org": "Marketing"}], "x/My Team_PIs.yml")
    assert plan["metadata"] == {"id": "gitlab-my-team-pis", "title": "GitLab performance indicators"}
    assert plan["kpis"][0]["x-gitlab"] == {"org": "Sales"}
    plan = convert([{"name": "A"}], "x.yml", plan_id="mkt-2027")
    assert plan["metadata"]["id"] == "mkt-2027"


def test_odd_names_still_give_valid_unique_ids():
    names = ["Ünïcode naïve", "日本語", 42, "x" * 200, "Ünicode naive", "a-2", "A", "a"]
    plan = convert([{"name": n} for n in names], "odd.yml")
    ids = [k["id"] for k in plan["kpis"]]
    assert len({i.lower() for i in ids}) == len(ids)
    assert all(ID_PATTERN.match(i) and len(i) <= 100 for i in ids)
    assert ids[0] == "KPI-UNICODE-NAIVE" and ids[4] == "KPI-UNICODE-NAIVE-2"
    assert ids[1] == "KPI-2"  # nothing to slug: the position instead
    assert plan["kpis"][2]["name"] == "42"
    assert len(ids[3]) <= 60


def test_numeric_target_kept_exactly_as_written(tmp_path):
    src = tmp_path / "numbers.yml"
    src.write_text("- name: Rate\n  target: 0.50   # half\n- name: Count\n  target: 77\n", encoding="utf-8")
    plan = load_text(convert_file(str(src))).data
    assert [k["x-gitlab"]["target"] for k in plan["kpis"]] == ["0.50", "77"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key: [unclosed\n", r"^.*bad\.yml:\d+:\d+: "),
        ("name: not a list\n", r"top level is a mapping"),
        ("- name: ok\n- just text\n", r"entry 2 \(line 2\) is not a mapping"),
        ("- name: ok\n- definition: no name here\n", r"entry 2 \(line 2\) has no name"),
        ("- name: ok\n- name: [a, b]\n", r"entry 2 \(line 2\): the name is a list"),
        ("", r"bad\.yml:1:1: the file holds no YAML data"),
    ],
)
def test_bad_input_raises_one_line_import_error(tmp_path, text, expected):
    src = tmp_path / "bad.yml"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(ImportError_) as info:
        convert_file(str(src))
    assert re.search(expected, str(info.value))
    assert "\n" not in str(info.value)


def test_unreadable_file_and_bad_id_raise_import_error(tmp_path):
    with pytest.raises(ImportError_, match="cannot read the file"):
        convert_file(str(tmp_path / "missing.yml"))
    with pytest.raises(ImportError_, match="not a plain identifier"):
        convert_file(str(SAMPLE), plan_id="has spaces")


# --------------------------------------------------------------------------- command line


def test_cli_writes_the_plan_and_exits_0(tmp_path):
    out = tmp_path / "plan.yaml"
    proc = run_cli("import", "gitlab-pi", str(SAMPLE), "-o", str(out), "--id", "gl-sample")
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    plan = load_file(str(out)).data
    assert plan["metadata"]["id"] == "gl-sample" and len(plan["kpis"]) == 4


def test_cli_without_output_prints_the_plan(tmp_path):
    proc = run_cli("import", "gitlab-pi", str(SAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# Converted by kpi-policies import gitlab-pi from marketing-sample.yml.")
    assert load_text(proc.stdout).data == convert(load_file(str(SAMPLE)).data, str(SAMPLE))


@pytest.mark.parametrize(
    ("text", "needle"),
    [("- name: a\n  definition: [oops\n", "broken.yml:"), ("name: Marketing\norg: Marketing\n", "top level is a mapping")],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, text, needle):
    src = tmp_path / "broken.yml"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out.yaml"
    proc = run_cli("import", "gitlab-pi", str(src), "-o", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kpi-policies: ") and needle in lines[0]
    assert not out.exists()


# --------------------------------------------------------------------------- real GitLab files


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not REAL.is_dir():
        pytest.skip(f"real GitLab inputs not present at {REAL}")
    folder = tmp_path_factory.mktemp("gitlab-real")
    return {name: convert_to(folder, REAL / f"{name}.yml", f"{name}.yaml") for name in ("marketing", "ux_department")}


@pytest.mark.parametrize(("name", "count"), [("marketing", 11), ("ux_department", 24)])
def test_real_files_convert_to_schema_valid_plans(real, name, count):
    out, plan = real[name]
    assert len(plan["kpis"]) == count
    assert len({k["id"] for k in plan["kpis"]}) == count
    assert schema_findings(check_findings(out)) == []


def test_real_marketing_every_kpi_lacks_target_cadence_and_tool(real):
    out, plan = real["marketing"]
    by_kpi = rules_by_kpi(check_findings(out))
    for index, kpi in enumerate(plan["kpis"]):
        assert {"FE002", "RC001", "MT001"} <= by_kpi.get(index, set()), kpi["id"]


def test_real_ux_keeps_free_text_targets_and_owners(real):
    _, plan = real["ux_department"]
    first = plan["kpis"][0]
    assert first["owner"] == "Owner 1"
    assert first["x-gitlab"]["target"] == "TBD"
    targets = [k["x-gitlab"].get("target") for k in plan["kpis"]]
    assert "55 MRs per technical writer per month" in targets
    assert all("target" not in k for k in plan["kpis"])
