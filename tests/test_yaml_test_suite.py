"""All inputs of the official YAML test suite, checked in one run: findings or a clean result, never a crash."""

from __future__ import annotations

import json
import os

import pytest

from conftest import PARSERS, run_cli, shared


@pytest.mark.parametrize("parser", PARSERS)
def test_every_yaml_test_suite_input_in_one_run(tmp_path, parser):
    suite = shared("real-inputs", "yaml-test-suite")
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "json", str(suite), cwd=tmp_path, env=PARSERS[parser])
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    files = [f["file"] for f in report["files"]]
    assert len(files) == 402
    findings: dict[str, list[str]] = {}
    for f in report["findings"]:
        assert f["line"] >= 1 and f["column"] >= 1
        findings.setdefault(f["file"], []).append(f["rule_id"])
    invalid = [f for f in files if os.path.exists(os.path.join(os.path.dirname(f), "error"))]
    assert len(invalid) == 94
    for path in invalid:
        assert findings.get(path), f"{path} is invalid YAML but passed clean"
    # where the parser rejects the text, the finding is a Y finding
    rejected = [p for p in invalid if "S002" not in findings.get(p, [])]
    for path in rejected:
        assert any(r.startswith("Y") for r in findings[path]), path
    # none of the suite's documents is a KPI plan, so nothing passes clean either
    assert all(findings.get(p) for p in files)
