"""The shared contract cases: plans that must pass and defects that must be caught.

Each case runs ``kpi-policies check --as-of 2027-04-10 --format json FILE [extra files]``
in a scratch folder, as the contract's README describes. Skipped where the
contract folder is absent.
"""

from __future__ import annotations

import json
import os

import pytest

from conftest import PARSERS, SHARED, run_cli

CONTRACT = SHARED / "contract"


def _cases():
    if not CONTRACT.exists():
        return [pytest.param(None, id="contract-absent")]
    out = []
    for folder in ("valid", "invalid"):
        for case in json.loads((CONTRACT / folder / "expectations.json").read_text()):
            out.append(pytest.param(case, id=case["name"]))
    return out


def _local(path: str) -> str:
    return str(SHARED / path.split("shared/", 1)[1])


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("case", _cases())
def test_contract_case(case, parser, tmp_path):
    if case is None:
        pytest.skip("the shared contract cases are not available in this checkout")
    target = _local(case["file"])
    extra = [_local(p) for p in case.get("extra_files", [])]
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "json", target, *extra, *case.get("args", []), cwd=tmp_path,
                   env=PARSERS[parser])
    assert "Traceback" not in proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    if case["exit"] is not None:
        assert proc.returncode == case["exit"], findings
    if case["families"]:
        lo, hi = case["lines"]
        hits = [f for f in findings
                if any(f["rule_id"].startswith(fam) for fam in case["families"])
                and os.path.basename(f["file"]) == os.path.basename(target) and lo <= f["line"] <= hi]
        assert hits, f"no {case['families']} finding in lines {lo}-{hi}: {findings}"
    if case["exit"] == 0:
        assert [f for f in findings if f["severity"] == "error"] == []
