"""Python checks run only when the job has the tool: pip installs what it runs, uv, poetry
and pdm have what their install step brings in, pre-commit covers the rest."""

from __future__ import annotations

from libs.analysis.report import Fact, Report
from libs.cigen import generate
from libs.cigen.validate.schema import parse_yaml
from tests.unit.cigen.reports import report, sub


def python(manager: str, tools: list[Fact], **options: object) -> Report:
    lockfile = {"uv": "uv.lock", "pdm": "pdm.lock", "poetry": "poetry.lock"}.get(manager)
    project = sub(
        manifest="pyproject.toml",
        managers=[manager],
        lockfiles=[lockfile] if lockfile else [],
        tests=["pytest"],
        runtimes=[("python", "3.12", ".python-version")],
        **options,  # type: ignore[arg-type]
    )
    project.tools = tools
    return report(project)


def runs(generated: Report) -> list[str]:
    steps = parse_yaml(generate(generated).content)["jobs"]["python"]["steps"]
    return [s["run"] for s in steps if "run" in s]


def configured(name: str, *groups: str, source: str = "pyproject.toml") -> Fact:
    return Fact(name=name, source=source, configured=True, groups=groups)


def test_pip_installs_every_tool_it_runs() -> None:
    tools = [
        configured("isort"),
        configured("flake8", source=".flake8"),
        configured("mypy"),
        Fact(name="black", source="pyproject.toml", version=">=24.1", groups=("extra:dev",)),
    ]
    steps = runs(python("pip", tools))
    # every tool pinned; black comes with the extra that declares it
    assert steps[0] == (
        'python -m pip install -e ".[dev]" pytest==9.2.0 isort==9.0.2 flake8==7.5.0 mypy==2.4.1'
    )
    assert {"isort --check-only .", "flake8", "mypy .", "black --check ."} <= set(steps)


def test_pip_installs_tools_its_requirements_files_do_not() -> None:
    tools = [configured("flake8", "requirements-dev.txt"), configured("mypy")]
    steps = runs(python("pip", tools, manifests=["requirements-dev.txt"]))
    assert steps[:2] == [
        "python -m pip install -r requirements-dev.txt",
        "python -m pip install pytest==9.2.0 mypy==2.4.1",  # pytest: no file lists it
    ]


def test_uv_installs_the_groups_of_its_checks_and_runs_pre_commit_for_the_others() -> None:
    tools = [
        configured("ruff"),  # configured, installed by no dependency group
        configured("mypy", "group:typing"),  # a group `uv sync` leaves out: added
        configured("pyright", "group:dev"),
        configured("pre-commit", source=".pre-commit-config.yaml"),
        configured("pre-commit.ci", source=".pre-commit-config.yaml"),
    ]
    steps = runs(python("uv", tools))
    assert steps[0] == "uv sync --locked --group typing"
    assert "uv run ruff check ." not in steps
    assert "uv run mypy ." in steps
    assert "uv run pyright" in steps
    assert "SKIP=no-commit-to-branch uvx pre-commit@4.7.0 run --all-files" in steps
    without_hooks = generate(python("uv", tools[:3]))
    assert "pre-commit" not in without_hooks.content
    assert (
        "the repository root: no ruff step: the uv install step does not install it "
        "(it is not in the project's dependencies or installed groups)"
    ) in without_hooks.notes


def test_poetry_and_pdm_have_their_non_optional_groups() -> None:
    tools = [configured("mypy", "group:lint"), configured("ruff", "extra:lint")]
    for manager in ("poetry", "pdm"):
        steps = runs(python(manager, tools))
        assert f"{manager} run mypy ." in steps
    # pdm installs an optional-dependency group on request; poetry's extras stay out
    assert "pdm sync --dev -G lint" in runs(python("pdm", tools))
    assert "pdm run ruff check ." in runs(python("pdm", tools))
    assert "poetry run ruff check ." not in runs(python("poetry", tools))
    # ruff configured but in no group: pre-commit, from the dev group, runs it
    hooks = [
        configured("ruff"),
        configured("pre-commit.ci", source=".pre-commit-config.yaml"),
        configured("pre-commit", "group:dev", source=".pre-commit-config.yaml"),
    ]
    assert "SKIP=no-commit-to-branch pdm run pre-commit run --all-files" in runs(
        python("pdm", hooks)
    )
    steps = runs(python("poetry", [configured("ruff"), *hooks[1:]]))
    assert "SKIP=no-commit-to-branch poetry run pre-commit run --all-files" in steps


def test_a_declared_tool_without_configuration_runs_only_as_a_development_tool() -> None:
    black_for_docs = Fact(name="black", source="pyproject.toml", groups=("group:docs",))
    steps = runs(python("pdm", [black_for_docs]))
    assert "pdm run black --check ." not in steps
    runtime = Fact(name="mypy", source="pyproject.toml", groups=("project",))
    assert "pdm run mypy ." not in runs(python("pdm", [runtime]))
    dev = Fact(name="black", source="pyproject.toml", groups=("group:dev", "group:docs"))
    assert "pdm run black --check ." in runs(python("pdm", [dev]))
    # FastAPI: black reaches the dev group through docs, but the project formats with ruff
    generation = generate(python("pdm", [dev, configured("ruff", "group:dev")]))
    assert "black --check" not in generation.content
    assert (
        "the repository root: no black step: it has no configuration and the project's "
        "configured ruff does its job"
    ) in generation.notes


def test_test_files_without_a_declared_runner_run_under_pytest_installed_for_them() -> None:
    undeclared = [Fact(name="pytest", source="tests/test_app.py")]
    uv = python("uv", [])
    uv.stack.subprojects[0].test_frameworks = undeclared
    assert "uv run --with pytest==9.2.0 pytest" in runs(uv)
    pip = python("pip", [], manifests=["requirements.txt"])
    pip.stack.subprojects[0].test_frameworks = undeclared
    assert runs(pip)[:3] == [
        "python -m pip install -r requirements.txt",
        "python -m pip install pytest==9.2.0",
        "python -m pytest",
    ]
