"""The generated file for every stack, compared with a reviewed copy, and proven valid.

golden/trees/: the real analysis of each stack fixture tree of the analysis tests (plus
their polyglot monorepo), then generation. golden/reports/: hand-built Reports for what
those trees do not show. Regenerate the reviewed copies after an intended change with
    CIGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/cigen/test_golden.py
and review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from libs.analysis import analyze
from libs.cigen import Generation, generate
from tests.unit.analysis.conftest import write_tree
from tests.unit.analysis.stack_trees import TREES
from tests.unit.cigen.reports import STACKS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CIGEN_UPDATE_GOLDEN") == "1"
SUFFIX = {"github": "github.yml", "gitlab": "gitlab-ci.yml"}


def assert_golden_and_valid(generation: Generation, golden: Path) -> None:
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(generation.content)
    assert golden.exists(), f"no golden file {golden.name}: run with CIGEN_UPDATE_GOLDEN=1"
    assert generation.content == golden.read_text()
    assert generation.validation.findings == []
    assert generation.valid
    ran = {v.name: v.status for v in generation.validation.validators}
    github = generation.platform == "github"
    expected = {"schema", "policy", "zizmor", "actionlint"} if github else {"schema", "policy"}
    assert ran == dict.fromkeys(expected, "passed")


@pytest.mark.parametrize("tree", sorted(TREES))
def test_an_analysed_fixture_tree_generates_its_golden_file(tree: str, tmp_path: Path) -> None:
    report = analyze(write_tree(tmp_path / tree, TREES[tree]))
    for platform in ("github", "gitlab"):
        generation = generate(report, platform=platform)
        assert_golden_and_valid(generation, GOLDEN / "trees" / f"{tree}.{SUFFIX[platform]}")


@pytest.mark.parametrize("platform", ["github", "gitlab"])
@pytest.mark.parametrize("stack", sorted(STACKS))
def test_a_hand_built_report_generates_its_golden_file(stack: str, platform: str) -> None:
    generation = generate(STACKS[stack], platform=platform)
    assert_golden_and_valid(generation, GOLDEN / "reports" / f"{stack}.{SUFFIX[platform]}")
