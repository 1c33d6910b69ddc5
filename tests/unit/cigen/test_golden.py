"""The generated file for every stack, compared with a reviewed copy, and proven valid.

Regenerate the reviewed copies after an intended change with
    CIGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/cigen/test_golden.py
and review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from libs.cigen import generate
from tests.unit.cigen.reports import STACKS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CIGEN_UPDATE_GOLDEN") == "1"
SUFFIX = {"github": "github.yml", "gitlab": "gitlab-ci.yml"}


@pytest.mark.parametrize("platform", ["github", "gitlab"])
@pytest.mark.parametrize("stack", sorted(STACKS))
def test_generated_file_matches_golden_and_validates(stack: str, platform: str) -> None:
    generation = generate(STACKS[stack], platform=platform)
    golden = GOLDEN / f"{stack}.{SUFFIX[platform]}"
    if UPDATE:
        golden.write_text(generation.content)
    assert golden.exists(), f"no golden file {golden.name}: run with CIGEN_UPDATE_GOLDEN=1"
    assert generation.content == golden.read_text()
    assert generation.validation.findings == []
    assert generation.valid
    ran = {v.name: v.status for v in generation.validation.validators}
    expected = {"schema", "policy", "zizmor"} if platform == "github" else {"schema", "policy"}
    assert ran == dict.fromkeys(expected, "passed")
