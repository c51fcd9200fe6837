"""Hostile inputs around the YAML: outputs that would destroy inputs, shadowed packs, hangs, links, odd consoles and configurations."""

from __future__ import annotations

import json
import os
import time

import pytest

from kpi_policies.cache import FORMAT
from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import PARSERS, check_json, check_texts, run_cli


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "good.yaml").write_text(REFERENCE_PLAN)
    return tmp_path


def one_line_error(proc) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# --- outputs never destroy inputs ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("check", "plans", "--format", "json", "--output", "plans/good.yaml"),
    ("check", "plans", "--write-baseline", "plans/good.yaml"),
    ("check", "plans", "--format", "sarif", "--output", "./plans/../plans/good.yaml"),
    ("report", "plans", "--format", "json", "-o", "plans/good.yaml"),
])
def test_an_output_that_is_an_input_is_refused_and_the_plan_is_kept(repo, args):
    before = (repo / "plans" / "good.yaml").read_bytes()
    message = one_line_error(run_cli(*args, "--as-of", "2027-04-10", cwd=repo))
    assert "plans/good.yaml" in message and "input" in message
    assert (repo / "plans" / "good.yaml").read_bytes() == before


def test_an_output_that_is_the_policy_the_baseline_or_a_hard_link_of_a_plan_is_refused(repo):
    (repo / "policy.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: p}\n")
    os.link(repo / "plans" / "good.yaml", repo / "alias.json")
    one_line_error(run_cli("check", "plans", "--policy", "policy.yaml", "--format", "json", "-o", "policy.yaml", cwd=repo))
    one_line_error(run_cli("check", "plans", "--format", "json", "-o", "alias.json", cwd=repo))
    assert run_cli("check", "plans", "--write-baseline", "b.json", cwd=repo).returncode == 0
    one_line_error(run_cli("check", "plans", "--baseline", "b.json", "--format", "json", "-o", "b.json", cwd=repo))
    assert json.loads((repo / "b.json").read_text())["tool"] == "kpi-policies"
    assert "apiVersion" in (repo / "alias.json").read_text()


def test_two_outputs_of_one_run_to_the_same_file_are_refused(repo):
    message = one_line_error(run_cli("check", "plans", "--format", "json", "--format", "sarif",
                                     "-o", "out.json", "-o", "./out.json", cwd=repo))
    assert "same file" in message and not (repo / "out.json").exists()
    one_line_error(run_cli("check", "plans", "--format", "json", "-o", "x.json", "--write-baseline", "x.json", cwd=repo))


def test_an_import_cannot_write_over_its_source(tmp_path):
    source = tmp_path / "pi.yml"
    source.write_text("- name: X\n  definition: x\n")
    one_line_error(run_cli("import", "gitlab-pi", str(source), "-o", str(source), cwd=tmp_path))
    assert source.read_text() == "- name: X\n  definition: x\n"


def test_outputs_are_written_through_a_temporary_file_in_the_same_folder(tmp_path, monkeypatch):
    from kpi_policies import outputs

    target = tmp_path / "report.json"
    target.write_text("old report")
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.dirname(src), os.path.exists(src), target.read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", spy)
    outputs.write_atomic(str(target), "new report")
    assert seen == [(str(tmp_path), True, "old report")] and target.read_text() == "new report"

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_atomic(str(target), "half")
    assert target.read_text() == "new report" and os.listdir(tmp_path) == ["report.json"]


def test_an_output_to_dev_null_is_allowed(repo):
    assert run_cli("check", "plans", "--format", "json", "-o", "/dev/null", "--as-of", "2027-04-10", cwd=repo).returncode == 0


# --- built-in packs cannot be shadowed -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["strict", "recommended"])
def test_a_file_named_like_a_built_in_pack_does_not_replace_it(repo, name):
    (repo / "plans" / "good.yaml").write_text(REFERENCE_PLAN.replace("tool: crm", "tool: excel"))  # MT002 error
    silent = "apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: silent}\nextends: []\nignore: [ALL]\n"
    (repo / name).write_text(silent)
    code, report = check_json("plans", "--policy", name, "--as-of", "2027-04-10", cwd=repo)
    assert code == 1 and "MT002" in {f["rule_id"] for f in report["findings"]}
    (repo / "kpi-policies.yaml").write_text(f"apiVersion: kpi-policies/v1\nkind: Config\npolicy: {name}\n")
    code, report = check_json("plans", "--as-of", "2027-04-10", cwd=repo)
    assert code == 1 and "MT002" in {f["rule_id"] for f in report["findings"]}
    code, report = check_json("plans", "--policy", f"./{name}", "--as-of", "2027-04-10", cwd=repo)
    assert code == 0 and report["findings"] == []  # a path names the file


def test_a_folder_named_like_a_built_in_pack_does_not_break_it(repo):
    (repo / "strict").mkdir()
    code, _ = check_json("plans", "--policy", "strict", "--as-of", "2027-04-10", cwd=repo)
    assert code in (0, 1)


# --- no hang: globs and waiver comments ----------------------------------------------------------------------

def test_a_crafted_override_glob_and_exclude_glob_match_in_linear_time(repo):
    from kpi_policies.globs import match_any

    evil = "*a*a*a*a*a*a*a*a*a*a*a*a*b"
    start = time.monotonic()
    assert not match_any([evil], "a" * 5000)
    assert time.monotonic() - start < 5
    deep = "plans/" + "a" * 200 + ".yaml"
    (repo / "plans" / ("a" * 200 + ".yaml")).write_text(REFERENCE_PLAN.replace("id: marketing-head-2027", "id: other"))
    (repo / "p.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: p}\n"
                                 f"overrides:\n  - files: ['{evil}']\n    ignore: [ALL]\n")
    (repo / "kpi-policies.yaml").write_text(f"apiVersion: kpi-policies/v1\nkind: Config\nexclude: ['{evil}']\n")
    start = time.monotonic()
    proc = run_cli("check", "--policy", "p.yaml", "--format", "json", "--as-of", "2027-04-10", "plans", cwd=repo)
    assert time.monotonic() - start < 60 and deep.split("/")[1] in proc.stdout


@pytest.mark.parametrize("globs, path, expected", [
    (["plans/sales/**"], "plans/sales/a.yaml", True),
    (["plans/sales/**"], "plans/salesy/a.yaml", False),
    (["*.draft.yaml"], "plans/deep/x.draft.yaml", True),   # a name without / matches at any depth, as in .gitignore
    (["plans/drafts"], "plans/drafts/x.yaml", True),       # a folder matches what it holds
    (["plans/*.yaml"], "plans/sub/x.yaml", False),         # * stays inside one folder
    (["plans/**", "!plans/keep.yaml"], "plans/keep.yaml", False),
])
def test_globs_follow_git_wildmatch_in_overrides_and_exclude(globs, path, expected):
    from kpi_policies.globs import match_any

    assert match_any(globs, path) is expected


def test_an_unreadable_glob_is_a_one_line_configuration_error(repo):
    (repo / "kpi-policies.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Config\nexclude: ['[z-a]']\n")
    assert "kpi-policies.yaml" in one_line_error(run_cli("check", "plans", cwd=repo))
    (repo / "kpi-policies.yaml").unlink()
    (repo / "p.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: p}\n"
                                 "overrides:\n  - files: ['[z-a]']\n    ignore: [ALL]\n")
    assert "p.yaml:5:" in one_line_error(run_cli("check", "plans", "--policy", "p.yaml", cwd=repo))


RULES = ["FE004", "FE005", "MT002"]

WAIVER_FORMS = [
    # (comment after `x: 1`, [(rules, reason, until, problem rule)])
    ('# kpi-policies: ignore[FE005] reason="New market" until=2027-06-30', [(("FE005",), "New market", "2027-06-30", None)]),
    ("# kpi-policies: ignore[FE005] reason='New market'", [(("FE005",), "New market", None, None)]),
    ("# kpi-policies: ignore[FE005] reason='the CFO''s call'", [(("FE005",), "the CFO's call", None, None)]),
    ('# kpi-policies: ignore[FE005] reason="the “pilot” said so"', [(("FE005",), "the “pilot” said so", None, None)]),
    ("# kpi-policies: ignore[FE005] reason=“Thị trường mới”", [(("FE005",), "Thị trường mới", None, None)]),
    ("# kpi-policies: ignore[FE005] reason=‘it's agreed’", [(("FE005",), "it's agreed", None, None)]),
    ('# kpi-policies: ignore[FE005] reason="say \\"yes\\" # not a comment"', [(("FE005",), 'say "yes" # not a comment', None, None)]),
    ("# kpi-policies: ignore[FE005] reason=pilot", [(("FE005",), "pilot", None, None)]),
    ("# kpi-policies: ignore[fe005, MT002]   reason = \"both\"", [(("FE005", "MT002"), "both", None, None)]),
    ('# kpi-policies: ignore[FE005] reason="a" ignore[MT002] reason="b"', [(("FE005",), "a", None, None), (("MT002",), "b", None, None)]),
    ('# kpi-policies: ignore[FE005] reason="a" # kpi-policies: ignore[MT002] reason="b"', [(("FE005",), "a", None, None), (("MT002",), "b", None, None)]),
    ('# ticket FIN-12 # kpi-policies: ignore[FE005] reason="a" # and a note', [(("FE005",), "a", None, None)]),
    ('# kpi-policies: ignore[FE005] reason="a" ignore[MT002] reason="b', [(("FE005",), "a", None, None), ((), None, None, "SU004")]),
    ('# kpi-policies: ignore[FE005] reason="unclosed', [((), None, None, "SU004")]),
    ("# kpi-policies: ignore[FE005 reason=x", [((), None, None, "SU004")]),
    ("# kpi-policies: skip FE005", [((), None, None, "SU004")]),
    ("# kpi-policies: ignore[FE005] reason=a reason=b", [((), None, None, "SU004")]),
    ("# kpi-policies: ignore[FE005] reson=typo", [((), None, None, "SU004")]),
    ("# kpi-policies: ignore[FE005]", [(("FE005",), None, None, "SU001")]),
    ("# kpi-policies: ignore[FE005] reason=x until=2026-13-01", [(("FE005",), "x", None, "SU004")]),
    ("# kpi-policies: ignore[FE005] reason=x until=2026-01-01", [(("FE005",), "x", "2026-01-01", "SU002")]),
]


@pytest.mark.parametrize("comment, expected", WAIVER_FORMS, ids=[c for c, _ in WAIVER_FORMS])
def test_waiver_comment_grammar(comment, expected):
    import datetime as dt

    from kpi_policies.suppressions import inline

    found = inline(f"x: 1  {comment}\ny: 2\n", "p.yaml", RULES, dt.date(2027, 1, 1))
    got = [(s.rule_ids, s.reason, s.until.isoformat() if s.until else None, s.problem[0] if s.problem else None) for s in found]
    assert got == expected
    assert all(s.line == 1 and s.column >= 7 for s in found)


def test_a_waiver_on_a_block_scalar_header_covers_the_text():
    from conftest import check_texts

    line = next(l for l in REFERENCE_PLAN.splitlines() if "tool: crm" in l)
    ind = " " * (len(line) - len(line.lstrip()))
    block = (f"{ind}measurement:\n{ind}  tool: >-  # kpi-policies: ignore[MT002] reason=\"Excel until the CRM import\"\n"
             f"{ind}    excel\n{ind}  source: CRM monthly revenue report\n{ind}  owner: sales-ops")
    result = check_texts({"p.yaml": REFERENCE_PLAN.replace(line, block, 1)})
    assert [(f.rule_id, f.suppression.reason if f.suppression else None) for f in result.findings] == [
        ("MT002", "Excel until the CRM import")]
    # inside the block text the same words are data
    text = f"a: |\n  # kpi-policies: ignore[MT002] reason=x\nb: 1\n"
    from kpi_policies.load import load_text
    from kpi_policies.suppressions import inline
    import datetime as dt

    assert inline(text, "p.yaml", RULES, dt.date(2027, 1, 1), load_text(text).scalar_spans) == []


@pytest.mark.parametrize("text", [
    "x: 1 # kpi-policies: ignore[FE005] reason=" + "a" * 1_000_000 + "\n",
    "x: 1 # kpi-policies: ignore[FE005] " + "a" * 1_000_000 + "\n",
    "x: 1 # kpi-policies: ignore[FE005] reason=\"" + "# kpi-policies: ignore[" * 40_000 + "\n",
    "x: 1 " + "# kpi-policies: ignore[FE005] reason=\"x\" " * 25_000 + "\n",
    "x: 1 # kpi-policies: ignore[" + "FE005," * 160_000 + "]\n",
    "# kpi-policies: \n" * 60_000,
    "x: '" + "# kpi-policies: " * 60_000 + "'\n",
])
def test_waiver_parsing_of_a_megabyte_is_fast(text):
    import datetime as dt

    from kpi_policies.load import load_text
    from kpi_policies.suppressions import inline

    spans = load_text(text).scalar_spans
    start = time.monotonic()
    inline(text, "p.yaml", RULES, dt.date(2027, 1, 1), spans)
    assert time.monotonic() - start < 5


def _plan_text_patterns():
    import re

    from kpi_policies import index, load
    from kpi_policies.report import text

    found = {f"load.{n}": v for n, v in vars(load).items() if isinstance(v, re.Pattern)}
    found.update({f"index.{n}": v for n, v in vars(index).items() if isinstance(v, re.Pattern)})
    found.update({"text._CONTROL": text._CONTROL,
                  "gitlab.tags": re.compile(r"<[^<>]*>")})
    return found


MEGABYTE = 1_000_000
HOSTILE_TEXTS = ["1" * MEGABYTE + "x", "kind:" + " " * MEGABYTE + "x", "kind: Strategy" + " \t" * (MEGABYTE // 2) + "x",
                 "kind:\n" * (MEGABYTE // 6), "\r" * MEGABYTE, ".5" * (MEGABYTE // 2), "1." + "1" * MEGABYTE + "ex",
                 "<" * MEGABYTE, "<a" * (MEGABYTE // 2), "#" * MEGABYTE]


@pytest.mark.parametrize("name", sorted(_plan_text_patterns()))
def test_every_regular_expression_applied_to_plan_text_is_linear_on_a_megabyte(name):
    pattern = _plan_text_patterns()[name]
    start = time.monotonic()
    for text in HOSTILE_TEXTS:
        pattern.search(text)
        pattern.findall(text)
    assert time.monotonic() - start < 10


def test_the_importer_strips_a_megabyte_of_broken_tags_quickly():
    from kpi_policies.importers import gitlab_pi

    start = time.monotonic()
    gitlab_pi.strip_html("&amp;" + "<" * 300_000)
    assert time.monotonic() - start < 20


# --- the cache never follows links ---------------------------------------------------------------------------

def _cache_check(repo, *extra):
    return check_json("plans", "--as-of", "2027-04-10", *extra, cwd=repo)


@pytest.mark.parametrize("where", ["version", "version/xx", "entry", ".gitignore"])
def test_links_inside_the_cache_folder_are_never_followed(repo, tmp_path_factory, where):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "victim.txt").write_text("precious")
    cold = _cache_check(repo)
    cache = repo / ".kpi-policies-cache"
    entries = sorted(cache.rglob("*.json"))
    assert entries
    entry = entries[0]
    import shutil

    version = f"v{FORMAT}"
    if where == "version":  # the version folder is a link to a folder outside
        shutil.rmtree(cache / version)
        (cache / version).symlink_to(outside, target_is_directory=True)
    elif where == "version/xx":  # a shard folder is a link
        shard = entry.parent
        shutil.rmtree(shard)
        shard.symlink_to(outside, target_is_directory=True)
    elif where == "entry":  # an entry is a link to a file outside
        entry.unlink()
        entry.symlink_to(outside / "victim.txt")
    else:
        (cache / ".gitignore").unlink()
        (cache / ".gitignore").symlink_to(outside / "victim.txt")
    assert _cache_check(repo) == cold
    assert _cache_check(repo) == cold
    assert (outside / "victim.txt").read_text() == "precious"
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]


def test_the_cache_folder_as_a_link_is_not_used_and_cache_clean_removes_only_the_link(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "victim.txt").write_text("precious")
    (repo / ".kpi-policies-cache").symlink_to(outside, target_is_directory=True)
    _cache_check(repo)
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert run_cli("cache", "clean", cwd=repo).returncode == 0
    assert (outside / "victim.txt").read_text() == "precious" and not (repo / ".kpi-policies-cache").exists()


def test_the_signing_key_is_never_made_inside_a_repository(repo):
    proc = run_cli("check", "plans", "--as-of", "2027-04-10", cwd=repo, env={"XDG_CACHE_HOME": str(repo / "keys")})
    assert proc.returncode in (0, 1)
    assert not (repo / "keys").exists() and not (repo / ".kpi-policies-cache").exists()


# --- nothing read outside the repository through the configuration --------------------------------------------

def _config(repo, text):
    (repo / "kpi-policies.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Config\n" + text)


@pytest.mark.parametrize("where", ["parent", "absolute", "link", "environ"])
def test_configuration_paths_outside_the_repository_are_refused(repo, tmp_path_factory, where):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.yaml").write_text("token: SECRET-TOKEN-VALUE\n")
    if where == "parent":
        target = os.path.relpath(outside / "secret.yaml", repo)
    elif where == "absolute":
        target = str(outside / "secret.yaml")
    elif where == "link":  # a link committed in the repository, pointing outside it
        (repo / "plans" / "innocent").symlink_to(outside, target_is_directory=True)
        target = "plans/innocent/secret.yaml"
    else:
        target = "/proc/self/environ"
    _config(repo, f"paths: [{json.dumps(target)}]\n")
    for command in (("check",), ("report", "--format", "json")):
        proc = run_cli(*command, "--as-of", "2027-04-10", cwd=repo)
        message = one_line_error(proc)
        assert "kpi-policies.yaml" in message and "outside the repository" in message
        assert "SECRET-TOKEN-VALUE" not in proc.stdout + proc.stderr


def test_configuration_policy_and_baseline_outside_the_repository_are_refused(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "pack.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: p}\n")
    _config(repo, f"policy: {json.dumps(str(outside / 'pack.yaml'))}\n")
    assert "policy:" in one_line_error(run_cli("check", cwd=repo))
    _config(repo, "baseline: ../../../../../../../etc/passwd\n")
    assert "baseline:" in one_line_error(run_cli("check", cwd=repo))


def test_a_pack_of_the_repository_cannot_extend_a_file_outside_it(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.yaml").write_text("token: SECRET-TOKEN-VALUE\n")
    (repo / "policy.yaml").write_text(f"apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {{id: p}}\n"
                                      f"extends: [recommended, {json.dumps(str(outside / 'secret.yaml'))}]\n")
    message = one_line_error(run_cli("check", "plans", "--policy", "policy.yaml", cwd=repo))
    assert "policy.yaml:4:" in message and "outside the repository" in message and "SECRET" not in message


def test_a_path_named_on_the_command_line_may_point_outside(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "plan.yaml").write_text(REFERENCE_PLAN)
    code, report = check_json(str(outside / "plan.yaml"), "--as-of", "2027-04-10", cwd=repo)
    assert code == 0 and len(report["files"]) == 1


def test_a_link_to_a_file_outside_found_in_a_folder_is_not_read(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text("token: SECRET-TOKEN-VALUE\n")
    (outside / "other.txt").write_text("token: SECRET-TOKEN-VALUE\n")
    (repo / "plans" / "leak.yaml").symlink_to(outside / "secret.txt")
    (repo / "plans" / "folder").symlink_to(outside, target_is_directory=True)
    for args in (("report", "plans", "--format", "json"), ("check", "plans", "--format", "json"),
                 ("check", "plans/leak.yaml", "plans/folder/other.txt", "--format", "json")):  # as pre-commit names files
        proc = run_cli(*args, "--as-of", "2027-04-10", cwd=repo)
        assert proc.returncode in (0, 1) and "SECRET-TOKEN-VALUE" not in proc.stdout + proc.stderr, proc.stderr
        assert "outside the repository; kpi-policies does not follow it" in proc.stdout
        if args[0] == "report":
            continue
        findings = json.loads(proc.stdout)["findings"]
        refused = [f for f in findings if f["rule_id"] == "Y010" and "outside the repository" in f["message"]]
        assert {f["file"] for f in refused} >= {"plans/leak.yaml"}
        if "plans/folder/other.txt" in args:
            assert {f["file"] for f in refused} == {"plans/leak.yaml", "plans/folder/other.txt"}


def test_a_special_file_in_a_configured_folder_is_a_finding_not_a_hang(repo):
    os.mkfifo(repo / "plans" / "pipe.yaml")
    _config(repo, "paths: [plans]\n")
    code, report = check_json("--as-of", "2027-04-10", cwd=repo)
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["file"].endswith("pipe.yaml")]
    assert finding["rule_id"] == "Y010" and "regular file" in finding["message"]


@pytest.mark.parametrize("how", ["configuration", "command line"])
def test_a_baseline_that_is_a_pipe_or_a_device_is_refused_without_waiting(repo, how):
    os.mkfifo(repo / "pipe.json")
    (repo / "zero.json").symlink_to("/dev/zero")
    for name in ("pipe.json", "zero.json"):
        if how == "configuration":
            _config(repo, f"baseline: {name}\n")
            proc = run_cli("check", "plans", cwd=repo)
        else:
            proc = run_cli("check", "plans", "--baseline", name, cwd=repo)
        message = one_line_error(proc)
        assert name in message and ("not a regular file" in message or "outside the repository" in message)


# --- a file named on the command line is checked even when excluded -------------------------------------------

def test_an_excluded_file_named_on_the_command_line_is_checked(repo):
    (repo / "plans" / "drafts").mkdir()
    (repo / "plans" / "drafts" / "wip.yaml").write_text("kpis: [broken\n")
    _config(repo, "exclude: ['plans/drafts/**']\n")
    code, report = check_json("--as-of", "2027-04-10", cwd=repo)  # walked: the draft is left out
    assert code == 0 and [f["file"] for f in report["files"]] == ["plans/good.yaml"]
    code, report = check_json("plans/drafts/wip.yaml", "--as-of", "2027-04-10", cwd=repo)  # as pre-commit names it
    assert code == 1 and [f["file"] for f in report["files"]] == ["plans/drafts/wip.yaml"]
    assert [f["rule_id"] for f in report["findings"]] == ["Y001"]


# --- odd configuration and baselines: one line naming the file, exit 2 ----------------------------------------

@pytest.mark.parametrize("toml", [
    'tool = 1\n[tool-x]\n"kpi-policies" = 1\n#[tool.kpi-policies]\n',
    '[[tool]]\nname = "x"\n#[tool.kpi-policies]\n',
    '[tool]\nkpi-policies = "strict"\n#[tool.kpi-policies]\n',
    '[[tool.kpi-policies]]\npolicy = "strict"\n',
    '[tool.kpi-policies]\npaths = ' + "[" * 5000 + "]" * 5000 + "\n",
    '[tool.kpi-policies]\nexclude = [' + "9" * 5000 + "]\n",
    '[tool.kpi-policies]\npolicy = 1e999\n',
    '[tool.kpi-policies]\npolicy = "strict"\npolicy = "x"\n',
    '[tool.kpi-policies]\npaths = "plans"\n',
    '[tool.kpi-policies]\npolicy = "\xff"\n'.encode("latin-1").decode("latin-1"),
])
def test_every_shape_of_pyproject_configuration_is_a_one_line_error(repo, toml):
    (repo / "pyproject.toml").write_bytes(toml.encode("latin-1" if "\xff" in toml else "utf-8"))
    message = one_line_error(run_cli("check", "--as-of", "2027-04-10", cwd=repo))
    assert "pyproject.toml" in message


@pytest.mark.parametrize("text", [
    '{"tool": "kpi-policies", "version": 1, "entries": [{"file": "a", "plan_id": "p", "object_id": "o", '
    '"rule_id": "FE005", "where": "w", "count": ' + "9" * 5000 + "}]}",
    '{"tool": "kpi-policies", "version": 1, "entries": [{"file": "a", "plan_id": "p", "object_id": "o", '
    '"rule_id": "FE005", "where": "w", "count": 1e999}]}',
    '{"tool": "kpi-policies", "version": 1, "entries": [{"file": "a", "plan_id": "p", "object_id": "o", '
    '"rule_id": "FE005", "where": "w", "count": 99999999999999999999}]}',
    '{"tool": "kpi-policies", "version": 1, "entries": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"tool": "kpi-policies", "version": 1, "entries": [{"file": ["a"], "plan_id": "p", "object_id": "o", '
    '"rule_id": "FE005", "where": "w"}]}',
    '{"tool": "kpi-policies", "version": 1, "entries": 5}',
    '{"tool": "kpi-policies", "version": 1, "entries": ["x"]}',
    '{"tool": "kpi-policies", "version": ' + "1" * 5000 + "}",
    "\xff\xfe{}",
])
def test_every_shape_of_baseline_is_a_one_line_error(repo, text):
    (repo / "base.json").write_bytes(text.encode("latin-1"))
    message = one_line_error(run_cli("check", "plans", "--baseline", "base.json", "--as-of", "2027-04-10", cwd=repo))
    assert "base.json" in message and len(message) < 400


# --- no lost run: a console that can't show a character, a reader that leaves early ---------------------------

def _cli_bytes(*args, cwd, env=None, close_stdout=False):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "kpi_policies", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, **(env or {})))
    if close_stdout:  # the reader is gone before anything is written
        proc.stdout.close()
        with proc.stderr:
            err = proc.stderr.read()
        return proc.wait(timeout=300), b"", err
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


VIETNAMESE_ID = REFERENCE_PLAN.replace("id: KPI-CONVERSION", "id: KPI-CHUYỂN-ĐỔI").replace(
    "name: Web conversion rate", "name: Tỷ lệ chuyển đổi — web")


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
@pytest.mark.parametrize("fmt", ["text", "json", "github", "markdown"])
def test_a_console_that_cannot_show_a_character_gets_replacements_not_an_internal_error(repo, encoding, fmt):
    (repo / "plans" / "vn.yaml").write_text(VIETNAMESE_ID.replace("shop-marketing-2027", "vn-2027"), encoding="utf-8")
    code, out, err = _cli_bytes("check", "plans", "--format", fmt, "--as-of", "2027-04-10", cwd=repo,
                                env={"PYTHONIOENCODING": encoding})
    assert code == 1, err
    assert b"internal error" not in err and b"Traceback" not in err
    text = out.decode(encoding)
    assert "KPI-CHUY?N-??I" in text
    if fmt == "json":
        assert json.loads(text)["summary"]["error"] >= 1


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
@pytest.mark.parametrize("broken, expected", [(False, 0), (True, 1)])
def test_a_closed_pipe_ends_quietly_with_the_exit_code_of_the_findings(repo, fmt, broken, expected):
    if broken:
        (repo / "plans" / "bad.yaml").write_text("kpis: [broken\n")
    code, _, err = _cli_bytes("check", "plans", "--format", fmt, "--as-of", "2027-04-10", cwd=repo, close_stdout=True)
    assert (code, err) == (expected, b"")


# --- dates at the edge of the calendar in the audit report ----------------------------------------------------

@pytest.mark.parametrize("start, end, due", [
    ("2027-01-01", "2027-12-31", "9999-12-31"),  # "no deadline"
    ("2027-01-01", "9999-12-31", "9999-12-31"),
    ("9999-12-31", "9999-12-31", "9999-12-31"),  # one day at the very end: the chart pads inside the calendar
    ("0001-01-01", "0001-01-01", "0001-01-01"),
])
def test_dates_at_the_edge_of_the_calendar_do_not_break_the_html_report(repo, start, end, due):
    import re

    (repo / "plans" / "good.yaml").write_text(
        REFERENCE_PLAN.replace("period: {start: 2027-01-01, end: 2027-12-31}", f"period: {{start: {start}, end: {end}}}")
        .replace("due: 2027-12-31}", f"due: {due}}}"))
    proc = run_cli("report", "plans", "--format", "html", "-o", "audit.html", "--as-of", "2027-04-10", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    page = (repo / "audit.html").read_text()
    charts = re.findall(r'<svg[^>]*class="progress".*?</svg>', page, re.S)
    assert len(charts) == 2
    for chart in charts:  # a handful of time labels, not one per quarter over eight thousand years
        labels = re.findall(r'text-anchor="middle" fill="#4b5563">([A-Z][a-z]{2}(?: \d+)?)</text>', chart)
        assert len(labels) <= 10, labels


# --- outputs: control characters in JUnit, mentions in Markdown ------------------------------------------------

def test_control_characters_in_a_plan_id_keep_the_junit_xml_well_formed(repo):
    import xml.etree.ElementTree as ET

    (repo / "plans" / "good.yaml").write_text(REFERENCE_PLAN.replace("id: shop-marketing-2027", 'id: "shop\\x01\\x1b[31m-2027\\x0c"', 1))
    proc = run_cli("check", "plans", "--format", "junit", "--as-of", "2027-04-10", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    root = ET.fromstring(proc.stdout.encode("utf-8"))
    (plan_id,) = [p.get("value") for p in root.iter("property") if p.get("name") == "plan_id"]
    assert plan_id == "shop[31m-2027"


def test_mentions_in_plan_text_ping_nobody_from_the_markdown_comment(repo):
    (repo / "plans" / "good.yaml").write_text(REFERENCE_PLAN.replace("id: shop-marketing-2027", 'id: "@acme/marketing"', 1)
                                              .replace("id: KPI-CONVERSION", 'id: "@ceo please"'))
    proc = run_cli("check", "plans", "--format", "markdown", "--as-of", "2027-04-10", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert "@acme" not in proc.stdout and "@ceo" not in proc.stdout
    assert "@&#8203;acme/marketing" in proc.stdout and "@&#8203;ceo please" in proc.stdout


# --- positions inside the file, with both parsers; an unsupported apiVersion hides nothing ---------------------

@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("text", [
    "a: 1\nb: [", "a: 1\nb: {", "a: 1\nb: [\n", "a: 1\n%YAML 1.2", "a: 1\n---\n[", "a: 1\nb: 'open",
    "a: 1\r\nb: [", "a: 1\rb: {x: 1", REFERENCE_PLAN.rstrip("\n") + "\n  - [",
])
def test_a_syntax_error_at_the_end_of_a_file_is_reported_on_a_line_of_the_file(monkeypatch, parser, text):
    import re

    from kpi_policies.load import load_text

    for key, value in PARSERS[parser].items():
        monkeypatch.setenv(key, value)
    lines = re.split(r"\r\n|\r|\n", text.rstrip("\r\n"))
    problems = [p for p in load_text(text, "p.yaml").problems if p.rule_id == "Y001"]
    assert problems
    for problem in problems:
        assert 1 <= problem.line <= len(lines), (problem, len(lines))
        assert 1 <= problem.column <= len(lines[problem.line - 1]) + 1, problem
        for said in re.findall(r"gave up on line (\d+)", problem.message):
            assert int(said) <= len(lines)


def test_both_parsers_put_an_end_of_file_error_at_the_same_place(monkeypatch):
    from kpi_policies.load import load_text

    text = "a: 1\nb: ["
    c = [(p.line, p.column) for p in load_text(text).problems]
    monkeypatch.setenv("KPI_POLICIES_PURE_YAML", "1")
    assert [(p.line, p.column) for p in load_text(text).problems] == c == [(2, 5)]


def test_an_unsupported_api_version_hides_no_other_error_and_no_rule():
    text = (REFERENCE_PLAN.replace("apiVersion: kpi-policies/v1", "apiVersion: kpi-policies/v9", 1)
            .replace("period: {start: 2027-01-01,", "period: {start: 2027-01-01, colour: red,")
            .replace("id: KPI-CONVERSION", "id: KPI-CONV"))
    found = {(f.rule_id, f.line) for f in check_texts({"p.yaml": text}).findings}
    assert ("S002", 1) in found  # the version, said once
    assert [f for f in found if f[0] == "S002"] == [("S002", 1)]
    assert any(rule == "S003" for rule, _ in found)  # the unknown key
    assert any(rule.startswith("GL") for rule, _ in found)  # and the rules still judge the plan


@pytest.mark.parametrize("parser", PARSERS)
def test_a_question_mark_inside_a_flow_scalar_is_read_alike_by_both_parsers(monkeypatch, parser):
    from kpi_policies.load import load_text

    for key, value in PARSERS[parser].items():
        monkeypatch.setenv(key, value)
    doc = load_text("a: {d?ate: 1, b: [x?y]}\n")  # YAML 1.2 reads it; libyaml alone would call it a syntax error
    assert doc.problems == [] and doc.data == {"a": {"d?ate": 1, "b": ["x?y"]}}
    broken = load_text("a: {d?ate: 1\n")  # still broken: libyaml's message and position stand
    assert [(p.rule_id, p.line) for p in broken.problems] == [("Y001", 1)]
