"""Failure classes of Python jobs (issue 13, section 2)."""

from __future__ import annotations

from pathlib import Path

from libs.cigen import generate, tools
from libs.cigen.validate.schema import parse_yaml
from tests.unit.cigen.fixtures import generated
from tests.unit.cigen.reports import report, sub

UV = """[project]
name = "pkg"
[dependency-groups]
dev = ["pytest>=8"]
typing = ["mypy>=1.10", "types-requests"]
{mypy}
"""


def test_mypy_checks_what_its_configuration_names(tmp_path: Path) -> None:
    """`mypy .` over the whole tree also checks docs/conf.py and scripts the project
    never type-checks; a configuration that names `files` or `packages` is the scope."""
    files = {
        "pyproject.toml": UV.format(mypy='[tool.mypy]\nfiles = ["src/pkg"]\nstrict = true'),
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
    }
    result = generated(tmp_path / "named", files)
    assert "uv run mypy" in result.runs("python")
    assert "uv run mypy ." not in result.runs("python")
    unnamed = {**files, "pyproject.toml": UV.format(mypy="[tool.mypy]\nstrict = true")}
    assert "uv run mypy ." in generated(tmp_path / "unnamed", unnamed).runs("python")


def test_mypy_with_no_scope_runs_where_the_repositorys_ci_runs_it(tmp_path: Path) -> None:
    """more-itertools configures mypy (for its stubs) and runs it nowhere in CI: `mypy .`
    reported errors in its tests on the first run. A configuration naming no files is a
    step only where the repository's CI runs mypy, on what that CI names."""
    ci = (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: {run}\n"
    )
    files = {
        "pyproject.toml": UV.format(mypy="[tool.mypy]\nstrict = true"),
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        ".github/workflows/ci.yml": ci.format(run="uv run pytest"),
    }
    result = generated(tmp_path / "silent", files)
    assert not [run for run in result.runs("python") if "mypy" in run]
    assert "--group typing" not in result.runs("python")[0]  # nothing to install it for
    assert any("no mypy step" in note for note in result.notes)
    files[".github/workflows/ci.yml"] = ci.format(run="uv run mypy pkg tests")
    assert "uv run mypy pkg tests" in generated(tmp_path / "named", files).runs("python")


def test_a_type_checker_runs_with_the_group_that_declares_it(tmp_path: Path) -> None:
    """mypy in a `typing` dependency group, beside the stubs it needs: `uv sync` alone
    installs only `dev`; the job adds `--group typing` rather than run mypy without its
    stubs (or not at all)."""
    files = {
        "pyproject.toml": UV.format(mypy='[tool.mypy]\nfiles = ["src"]'),
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
    }
    runs = generated(tmp_path, files).runs("python")
    assert runs[0] == "uv sync --locked --group typing"
    assert "uv run mypy" in runs


def test_pip_installs_the_extra_that_declares_the_tests(tmp_path: Path) -> None:
    """A pip project whose pytest and its plugins live in a `tests` extra: installing
    pytest alone leaves the plugins and test dependencies out."""
    pyproject = (
        '[project]\nname = "pkg"\n[project.optional-dependencies]\n'
        'tests = ["pytest>=8", "pytest-asyncio"]\n'
    )
    files = {"pyproject.toml": pyproject, "tests/test_pkg.py": "def test_pkg(): pass\n"}
    runs = generated(tmp_path, files).runs("python")
    assert runs[0] == 'python -m pip install -e ".[tests]"'
    assert runs[-1] == "python -m pytest"


def test_a_django_project_runs_manage_py_test(tmp_path: Path) -> None:
    """Django's own test modules are `tests.py`, which no `test_*.py` search finds: the
    project got no test step at all."""
    files = {
        "requirements.txt": "Django==5.2\n",
        "manage.py": "import django\n",
        "blog/tests.py": "from django.test import TestCase\n",
    }
    runs = generated(tmp_path, files).runs("python")
    assert runs[-1] == "python manage.py test"


def _hooked(extra: dict[str, str]) -> dict[str, str]:
    """ruff configured but installed by no group: only the git hooks run it (and
    pre-commit.ci keeps the tree passing them)."""
    return {
        "pyproject.toml": '[project]\nname = "pkg"\n[tool.ruff]\nline-length = 100\n'
        '[dependency-groups]\ndev = ["pytest>=8"]\n',
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        ".pre-commit-config.yaml": "ci:\n  autofix_prs: false\nrepos: []\n",
        **extra,
    }


def test_hooks_run_only_where_the_repository_keeps_its_tree_passing_them(
    tmp_path: Path,
) -> None:
    """rich keeps a .pre-commit-config.yaml its CI never runs: over every file, five of
    its hooks failed on its own tree. The hooks are a step only where the repository's CI
    runs them (a command, or pre-commit's action), pre-commit.ci is configured, or there
    is no CI at all (as for a formatter check)."""
    plain = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: uv run pytest\n"
    )
    unenforced = _hooked(
        {".pre-commit-config.yaml": "repos: []\n", ".github/workflows/t.yml": plain}
    )
    result = generated(tmp_path / "unenforced", unenforced)
    assert not [run for run in result.runs("python") if "pre-commit" in run]
    assert any(
        "no hooks step for ruff: nothing shows the tree passes its hooks "
        "(.pre-commit-config.yaml)" in note
        for note in result.notes
    )
    ci = (
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - {step}\n"
    )
    hooks = "SKIP=no-commit-to-branch uvx pre-commit@4.7.0 run --all-files"
    for name, step in (
        ("command", "run: pipx run pre-commit run --all-files --show-diff-on-failure"),
        ("action", "uses: pre-commit/action@v3.0.1"),
    ):
        files = {**unenforced, ".github/workflows/lint.yml": ci.format(step=step)}
        assert hooks in generated(tmp_path / name, files).runs("python"), name
    assert hooks in generated(tmp_path / "pre-commit.ci", _hooked({})).runs("python")
    no_ci = {k: v for k, v in unenforced.items() if not k.startswith(".github/")}
    assert hooks in generated(tmp_path / "no-ci", no_ci).runs("python")


def test_hooks_run_with_the_runner_the_repository_uses(tmp_path: Path) -> None:
    """pre-commit where the repository runs pre-commit; prek (same configuration) where it
    declares prek; no hooks step where lefthook runs them."""
    plain = generated(tmp_path / "pre-commit", _hooked({})).runs("python")
    assert "SKIP=no-commit-to-branch uvx pre-commit@4.7.0 run --all-files" in plain
    prek = _hooked({})
    prek["pyproject.toml"] = prek["pyproject.toml"].replace('"pytest>=8"', '"pytest>=8", "prek"')
    runs = generated(tmp_path / "prek", prek).runs("python")
    assert "SKIP=no-commit-to-branch uv run prek run --all-files" in runs
    assert not [run for run in runs if "pre-commit run" in run]
    lefthook = generated(tmp_path / "lefthook", _hooked({"lefthook.yml": "pre-commit: {}\n"}))
    assert not [run for run in lefthook.runs("python") if " run --all-files" in run]
    assert any("runs its git hooks with lefthook (lefthook.yml)" in n for n in lefthook.notes)


def test_the_task_runner_of_the_repositorys_commands_is_installed(tmp_path: Path) -> None:
    """tenacity: `poe lint` and `poe test` from [tool.poe.tasks]; poethepoet comes with
    the dev group the job installs for its checks. Where nothing declares it, it is
    installed pinned (pip) or given to the one command (`uv run --with`)."""
    tasks = '[tool.poe.tasks]\ntest = "pytest"\nlint = "ruff check ."\n[tool.ruff]\n'
    declared = (
        '[project]\nname = "pkg"\n[dependency-groups]\ndev = ["poethepoet", "pytest", "ruff"]\n'
        + tasks
    )
    files = {"pyproject.toml": declared, "tests/test_pkg.py": "def test_pkg(): pass\n"}
    runs = generated(tmp_path / "declared", files).runs("python")
    assert runs[:2] == ["python -m pip install pip==26.3", "python -m pip install -e . --group dev"]
    assert runs[2:] == ["poe lint", "poe test"]
    undeclared = {**files, "pyproject.toml": '[project]\nname = "pkg"\n' + tasks}
    runs = generated(tmp_path / "undeclared", undeclared).runs("python")
    assert "python -m pip install poethepoet==0.49.0" in runs
    assert runs.index("python -m pip install poethepoet==0.49.0") < runs.index("poe test")


def test_a_tool_that_is_the_project_itself_is_not_installed_by_name(tmp_path: Path) -> None:
    """black's repository formats itself with the black it is: `pip install -e .
    black==26.10.1` asked pip for two different blacks, which it refuses."""
    files = {
        "pyproject.toml": '[project]\nname = "Black"\n[tool.black]\nline-length = 88\n',
        "src/black/__init__.py": "",
        "tests/test_black.py": "def test_black(): pass\n",
    }
    runs = generated(tmp_path, files).runs("python")
    install = next(run for run in runs if "-e ." in run)
    assert "black==" not in install
    assert "black --check ." in runs


def test_type_checkers_run_once_on_the_newest_python_of_the_matrix(tmp_path: Path) -> None:
    """sqlite-utils runs pyright on its newest Python only: on 3.11 pyright reads 3.11's
    typeshed and reported errors the project never sees. Linters run on every version."""
    files = {
        "pyproject.toml": UV.format(mypy='[tool.mypy]\nfiles = ["src"]').replace(
            '[project]\nname = "pkg"', '[project]\nname = "pkg"\nrequires-python = ">=3.12"'
        )
        + "[tool.ruff]\n",
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
    }
    result = generated(tmp_path / "github", files)
    steps = {s.get("run"): s for s in result.job("python")["steps"]}
    assert steps["uv run mypy"]["if"] == "matrix.python-version == '3.14'"
    assert "if" not in steps["uv run pytest"]
    gitlab = generated(tmp_path / "gitlab", files, platform="gitlab")
    script = gitlab.workflow["python"]["script"]
    assert 'if [ "$PYTHON_VERSION" = "3.14" ]; then uv run mypy; fi' in script


def test_a_pip_projects_undeclared_tool_runs_through_its_hooks(tmp_path: Path) -> None:
    """black: flake8 configured in .flake8, declared nowhere, run by pre-commit with
    `exclude: ^tests/data/`. Installed by name and run over the whole tree, it reported
    the deliberately broken code black tests itself on."""
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\n'
        'dev = ["pytest>=8", "pre-commit"]\n',
        ".flake8": "[flake8]\nmax-line-length = 80\n",
        ".pre-commit-config.yaml": "exclude: ^tests/data/\nrepos: []\n",
        ".github/workflows/lint.yml": "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: pre-commit run --all-files\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
    }
    runs = generated(tmp_path, files).runs("python")
    assert not [run for run in runs if "flake8" in run]
    assert runs[-1] == "SKIP=no-commit-to-branch pre-commit run --all-files"


def test_a_pip_job_runs_its_hooks_with_a_pre_commit_it_installs(tmp_path: Path) -> None:
    """tomli runs its hooks in CI after `pip install pre-commit`; our job installed the
    package alone (`pip install -e .`) and ran `pre-commit`, which was not there. Where
    an extra the job installs lists pre-commit (loguru's `dev`), that one runs."""
    ci = (
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: pip install pre-commit\n      - run: pre-commit run --all-files\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[tool.mypy]\nstrict = true\n',
        ".pre-commit-config.yaml": "repos: []\n",
        ".github/workflows/lint.yml": ci,
        "tests/test_pkg.py": "import unittest\n",
    }
    runs = generated(tmp_path / "alone", files).runs("python")
    assert f"python -m pip install pre-commit=={tools.PYTHON['pre-commit']}" in runs
    assert runs[-1] == "SKIP=no-commit-to-branch pre-commit run --all-files"
    extra = '[project.optional-dependencies]\ndev = ["pytest", "pre-commit==4.3.0"]\n'
    declared = {**files, "pyproject.toml": files["pyproject.toml"] + extra}
    runs = generated(tmp_path / "declared", declared).runs("python")
    assert 'python -m pip install -e ".[dev]"' in runs
    assert not [run for run in runs if "install pre-commit" in run]
    assert runs[-1] == "SKIP=no-commit-to-branch pre-commit run --all-files"


def test_a_package_manager_comes_with_the_dependencies_that_broke_it_pinned(
    tmp_path: Path,
) -> None:
    """frostming/marko: `pip install pdm==2.29.4` took hishel 2.0.0, released after that
    pdm, and `pdm sync` failed (`module 'hishel' has no attribute ...`). Pinning the tool
    alone is not enough where its own dependencies float."""
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[tool.pdm.dev-dependencies]\n'
        'test = ["pytest>=8"]\n',
        "pdm.lock": "# pdm\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
    }
    result = generated(tmp_path, files)
    assert "python -m pip install pdm==2.29.4 hishel==1.4.0" in result.runs("python")
    gitlab = generated(tmp_path / "gitlab", files, platform="gitlab")
    assert "python -m pip install pdm==2.29.4 hishel==1.4.0" in gitlab.workflow["python"]["script"]


def test_ruff_lints_what_the_repositorys_ci_lints(tmp_path: Path) -> None:
    """mealie's CI lints `mealie` (`task py:lint` runs `poetry run ruff check mealie`);
    `ruff check .` also held its tests to the package's rules (10 DTZ001 errors). ruff
    runs on the paths the repository's CI, or a task it starts, names."""
    ruff = '[dependency-groups]\ndev = ["pytest>=8", "ruff>=0.6"]\n[tool.ruff]\nline-length = 100\n'
    taskfile = "version: '3'\ntasks:\n  py:lint:\n    cmds:\n      - uv run ruff check pkg\n"
    ci = (
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n"
        "      - run: {run}\n      - run: uv run pytest\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n' + ruff,
        "uv.lock": "version = 1\n",
        "pkg/__init__.py": "",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        "Taskfile.yml": taskfile,
        ".github/workflows/ci.yml": ci.format(run="task py:lint"),
    }
    result = generated(tmp_path / "task", files)
    assert "uv run ruff check pkg" in result.runs("python")
    assert "uv run ruff check ." not in result.runs("python")
    assert (
        "the repository root: ruff checks what the repository's CI checks: `ruff check pkg`"
    ) in result.notes
    files[".github/workflows/ci.yml"] = ci.format(run="bash scripts/check")
    files["scripts/check"] = (
        'export SOURCE_FILES="pkg tests"\nPREFIX=""\n${PREFIX}ruff check $SOURCE_FILES\n'
    )
    assert "uv run ruff check pkg tests" in generated(tmp_path / "script", files).runs("python")


def test_a_linter_the_repositorys_ci_never_runs_gets_no_step(tmp_path: Path) -> None:
    """waitress configures flake8 and its CI's tox lint environment has it commented out
    (the tree fails it); alembic's CI leaves out the nox session that runs flake8, over a
    script Python 3.11 cannot parse. A linter or type checker runs where the CI runs it
    (a step, a script or task it starts, an action, or hooks it enforces), or where there
    is no CI."""
    tox = "[testenv:lint]\ncommands =\n    black --check src\n    # flake8 src\n"
    ci = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n{extra}      - run: pip install tox\n"
        "      - run: tox run -e lint\n      - run: pytest\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n',
        "requirements-dev.txt": "pytest==9.0.0\nflake8==7.1.0\nblack==25.1.0\n",
        ".flake8": "[flake8]\nmax-line-length = 100\n",
        "tox.ini": tox,
        "tests/test_a.py": "",
        ".github/workflows/ci.yml": ci.format(extra=""),
    }
    result = generated(tmp_path / "commented", files)
    assert not [run for run in result.runs("python") if "flake8" in run]
    assert (
        "the repository root: no `flake8` step: the repository's CI does not run flake8 over "
        "what this step checks, so nothing shows the tree passes it"
    ) in result.notes
    enabled = {**files, "tox.ini": tox.replace("# flake8", "flake8")}
    runs = generated(tmp_path / "enabled", enabled).runs("python")
    assert "flake8 src" in runs  # on what the CI's lint environment checks
    assert "black --check src" in runs
    action = {
        **files,
        ".github/workflows/ci.yml": ci.format(extra="      - uses: py-actions/flake8@v2\n"),
    }
    assert "flake8" in generated(tmp_path / "action", action).runs("python")
    hooks = {
        **files,
        ".pre-commit-config.yaml": "repos:\n- repo: https://github.com/pycqa/flake8\n  rev: 7.1.0\n"
        "  hooks:\n  - id: flake8\nci:\n  autofix_prs: false\n",
    }
    assert "flake8" in generated(tmp_path / "hooks", hooks).runs("python")
    # arq's local hook runs `make lint`: `flake8 $(sources)`, paths we cannot read
    local = (
        "repos:\n- repo: local\n  hooks:\n  - id: lint\n    name: lint\n    entry: make lint\n"
        "    language: system\nci:\n  autofix_prs: false\n"
    )
    scoped = {
        **files,
        ".pre-commit-config.yaml": local,
        "Makefile": "sources = pkg tests\nlint:\n\tflake8 $(sources)\n",
    }
    runs = generated(tmp_path / "scoped", scoped).runs("python")
    assert "make lint" in runs  # the command its enforced hooks run, not flake8 over `.`
    assert "flake8" not in runs
    del files[".github/workflows/ci.yml"]
    assert "flake8" in generated(tmp_path / "no-ci", files).runs("python")


def test_a_package_manager_version_naming_no_single_release_is_not_its_pin() -> None:
    """A declared `uv 3.12` (or `poetry 1.8`) names a line of releases: setup-uv and pipx
    would take its newest the day the job runs. The job pins the release it names itself
    (a property test found `version: "3.12"` given to setup-uv)."""
    for declared, pinned in (("3.12", tools.PYTHON["uv"]), ("0.9.7", "0.9.7")):
        project = sub(
            manifest="pyproject.toml",
            managers=[("uv", "pyproject.toml", declared)],
            tests=["pytest"],
        )
        generation = generate(report(project), code_scanning=False)
        assert generation.validation.findings == []
        steps = parse_yaml(generation.content)["jobs"]["python"]["steps"]
        setup = next(s for s in steps if s.get("uses", "").startswith("astral-sh/setup-uv@"))
        assert setup["with"]["version"] == pinned
        said = any(
            "uv 3.12 (pyproject.toml) names no single release" in n for n in generation.notes
        )
        assert said is (declared == "3.12")


def test_a_version_read_from_git_tags_gets_the_whole_history(tmp_path: Path) -> None:
    """filelock's version comes from hatch-vcs: a one-commit clone has no tags, the
    package is 0.1.dev1, and its test dependency virtualenv (which requires filelock)
    cannot be resolved. The checkout takes every commit and tag where the version is
    read from them, and only there."""
    pyproject = (
        '[build-system]\nrequires = ["hatchling", "hatch-vcs>=0.5"]\n'
        'build-backend = "hatchling.build"\n[project]\nname = "pkg"\ndynamic = ["version"]\n'
        '[dependency-groups]\ndev = ["pytest>=8"]\n'
    )
    files = {"pyproject.toml": pyproject, "uv.lock": "version = 1\n", "tests/test_a.py": ""}
    result = generated(tmp_path / "vcs", files)
    checkout = result.job("python")["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    assert (
        "the repository root: the checkout takes every commit and tag: pyproject.toml "
        "(hatch-vcs) derives the version from git tags, which a one-commit clone lacks"
    ) in result.notes
    gitlab = generated(tmp_path / "gitlab", files, platform="gitlab")
    assert gitlab.workflow["python"]["variables"]["GIT_DEPTH"] == "0"
    scm = {**files, "pyproject.toml": pyproject.replace('"hatch-vcs>=0.5"', '"flit_core"')}
    scm["setup.py"] = "from setuptools import setup\nsetup(use_scm_version=True)\n"
    assert generated(tmp_path / "scm", scm).job("python")["steps"][0]["with"]["fetch-depth"] == 0
    plain = {**files, "pyproject.toml": pyproject.replace(', "hatch-vcs>=0.5"', "")}
    assert (
        "fetch-depth" not in generated(tmp_path / "plain", plain).job("python")["steps"][0]["with"]
    )


YARL_MAKEFILE = """fmt:
ifdef CI
\tpre-commit run --all-files --show-diff-on-failure
else
\tpre-commit run --all-files
endif

lint: fmt

.develop: .install-deps
\t@pip install -e .
\t@touch .develop

.install-deps:
\tpip install -U -r requirements/dev.txt

test: lint .develop
\tpytest ./tests
"""


def test_a_make_target_gets_the_hooks_runner_its_recipe_starts_and_never_installs(
    tmp_path: Path,
) -> None:
    """yarl: `make lint` runs `pre-commit run` (between `ifdef CI` and `endif`), which the
    job's install step did not bring in; `make test` needs `.develop`, a stamp target
    that runs `pip install`, which a uv environment has no pip for. The hooks runner
    comes for that command at the version the project pins; the test target that
    installs is left for our test step."""
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\ntests = ["pytest"]\n'
        "[tool.uv]\n",
        "uv.lock": "version = 1\n",
        "requirements/lint.txt": "pre-commit==4.6.0\n",
        ".pre-commit-config.yaml": "repos: []\n",
        "Makefile": YARL_MAKEFILE,
        "tests/test_a.py": "",
    }
    result = generated(tmp_path, files)
    runs = result.runs("python")
    assert "uv run --with pre-commit==4.6.0 make lint" in runs
    assert not [run for run in runs if "make test" in run]
    assert "uv run pytest" in runs
    assert (
        "the repository root: skipped `make test` from Makefile: it installs first "
        "(`pip install -e .`), which the job's install step does"
    ) in result.notes


def test_uv_as_pip_in_ci_is_no_uv_project(tmp_path: Path) -> None:
    """yarl's CI installs with `uv pip install -r requirements/test.txt` after setup-uv:
    uv standing in for pip. Read as a uv project, the job ran `uv sync`, which installs
    no requirements file."""
    ci = (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: astral-sh/setup-uv@v8\n"
        "      - run: uv pip install -r requirements/test.txt\n      - run: pytest\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n',
        "requirements/test.txt": "pytest==9.0.0\n",
        ".github/workflows/ci.yml": ci,
        "tests/test_a.py": "",
    }
    runs = generated(tmp_path / "pip", files).runs("python")
    assert "python -m pip install -r requirements/test.txt" in runs
    assert not [run for run in runs if run.startswith("uv ")]
    synced = {**files, ".github/workflows/ci.yml": ci.replace("uv pip install -r", "uv sync #")}
    assert generated(tmp_path / "uv", synced).runs("python")[0].startswith("uv sync")


def test_the_tests_run_through_the_script_the_repositorys_ci_runs(tmp_path: Path) -> None:
    """typer's CI runs `uv run bash scripts/test.sh`, which sets TERMINAL_WIDTH and
    `_TYPER_FORCE_DISABLE_TERMINAL` before pytest: its help-text tests failed under a
    bare `uv run pytest`. The script is the test step where it installs nothing; a build
    of the package's sdist, from another job, is not carried."""
    script = (
        "#!/usr/bin/env bash\nset -e\nexport TERMINAL_WIDTH=3000\n"
        "export _TYPER_FORCE_DISABLE_TERMINAL=1\npytest --cov\n"
    )
    ci = (
        "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: uv sync --group tests\n      - run: uv run bash scripts/test.sh\n"
        "  redistribute:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: python -m build --sdist\n      - run: bash scripts/test.sh\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\ntests = ["pytest"]\n',
        "uv.lock": "version = 1\n",
        "scripts/test.sh": script,
        ".github/workflows/test.yml": ci,
        "tests/test_a.py": "",
    }
    result = generated(tmp_path / "script", files)
    runs = result.runs("python")
    assert runs[-1] == "uv run bash scripts/test.sh"
    assert not [run for run in runs if "build" in run]
    installs = {**files, "scripts/test.sh": script + "pip install -e .\n"}
    assert generated(tmp_path / "installs", installs).runs("python")[-1] == "uv run pytest"


def test_pip_installs_the_requirements_files_the_repositorys_ci_checks_with(
    tmp_path: Path,
) -> None:
    """yarl: every requirements file installed together took requirements/doc.txt's
    Sphinx 9.1, which needs Python 3.12, and failed on 3.11; its CI's test job installs
    requirements/test.txt, which brings pytest through `-r test-cibuildwheel.txt`.
    Without such evidence, every file but the documentation's."""
    ci = (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: pip install -r requirements/test.txt\n      - run: pytest\n"
        "  bench:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: pip install -r requirements/bench.txt\n      - run: python bench.py\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n',
        "requirements/test.txt": "-r base.txt\ncoverage==7.0\n",
        "requirements/base.txt": "pytest==9.0.0\n",
        "requirements/bench.txt": "pytest-codspeed==4.0\n",
        "requirements/doc.txt": "sphinx==9.1.0\n",
        ".github/workflows/ci.yml": ci,
        "tests/test_a.py": "",
    }
    runs = generated(tmp_path / "ci", files).runs("python")
    assert runs[:2] == ["python -m pip install -r requirements/test.txt", "python -m pytest"]
    del files[".github/workflows/ci.yml"]
    install = generated(tmp_path / "none", files).runs("python")[0]
    assert "doc.txt" not in install
    assert "-r requirements/test.txt" in install


def test_a_package_its_requirements_files_do_not_install_is_installed_beside_them(
    tmp_path: Path,
) -> None:
    """python-dotenv's requirements.txt lists its test tools, not the package (its CI's
    tox installs that): its tests, importing `dotenv` from src/, stopped at collection.
    The package installs in a step of its own (a requirements file with hashes puts pip
    in hash-checking mode, which refuses an editable install), with the group named for
    the tests. A requirements file that installs the package (`-e .[test]`), or a
    pyproject.toml naming no build backend (an application), adds nothing."""
    backend = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\ntest = ["x"]\n' + backend,
        "requirements.txt": "pytest==9.0.0 --hash=sha256:00\n",
        "src/pkg/__init__.py": "",
        "tests/test_a.py": "",
    }
    result = generated(tmp_path / "beside", files)
    assert result.runs("python")[:3] == [
        f"python -m pip install {tools.pinned('pip')}",
        "python -m pip install -r requirements.txt",
        "python -m pip install -e . --group test",
    ]
    assert any("is installed beside requirements.txt" in n for n in result.generation.notes)
    itself = {**files, "requirements.txt": "pytest==9.0.0\n-e .[test]\n"}
    runs = generated(tmp_path / "itself", itself).runs("python")
    assert "python -m pip install --group test" in runs
    assert not [run for run in runs if "-e ." in run]
    application = {**files, "pyproject.toml": '[project]\nname = "app"\n'}
    runs = generated(tmp_path / "application", application).runs("python")
    assert not [run for run in runs if "-e ." in run]


def test_a_pip_project_tested_through_tox_in_ci_is_tested_through_tox(tmp_path: Path) -> None:
    """pytest-mock's CI runs `tox run -e ${{ matrix.tox_env }}`, and its testenv installs
    pytest-asyncio and mock beside the package: a bare pytest after `pip install -e .`
    failed 8 tests. Without a repository test command of its own, the job runs `tox -e py`
    (tox installed pinned)."""
    tox = "[tox]\nenvlist = py311\n[testenv]\ndeps =\n    pytest-asyncio\ncommands = pytest\n"
    ci = (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: pip install tox\n      - run: tox run -e ${{ matrix.tox_env }}\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\ndependencies = ["pytest"]\n',
        "tox.ini": tox,
        ".github/workflows/ci.yml": ci,
        "tests/test_a.py": "",
    }
    result = generated(tmp_path / "tox", files)
    runs = result.runs("python")
    assert runs[-2:] == [f"python -m pip install {tools.pinned('tox')}", "tox -e py"]
    untold = {**files, ".github/workflows/ci.yml": ci.replace("tox run -e", "pytest -k")}
    assert generated(tmp_path / "pytest", untold).runs("python")[-1] == "python -m pytest"


def test_uv_installs_frozen_where_the_repositorys_ci_does(tmp_path: Path) -> None:
    """jsonschema's uv.lock was out of date with its pyproject.toml: `uv sync --locked`
    refused it, while its CI installs from the lock with `uv run --frozen` and never
    checks. Where the CI says nothing, or says --locked, the lock is checked."""
    ci = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {run}\n"
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\ndev = ["pytest"]\n',
        "uv.lock": "version = 1\n",
        "tests/test_a.py": "",
        ".github/workflows/ci.yml": ci.format(run="uv run --frozen pytest"),
    }
    assert generated(tmp_path / "frozen", files).runs("python")[0] == "uv sync --frozen"
    both = {**files, ".github/workflows/build.yml": ci.format(run="uv sync --locked")}
    assert generated(tmp_path / "both", both).runs("python")[0] == "uv sync --locked"
    del files[".github/workflows/ci.yml"]
    assert generated(tmp_path / "none", files).runs("python")[0] == "uv sync --locked"


def test_the_declaration_named_for_the_tests_is_installed_whatever_runs_them(
    tmp_path: Path,
) -> None:
    """jsonschema's tests run under unittest and import jsonpath-ng, which only its
    `test` dependency group lists: `uv sync` without it, one test module failed to
    import. pip installs a `tests` extra with the package."""
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\ntest = ["jsonpath-ng"]\n',
        "uv.lock": "version = 1\n",
        "pkg/__init__.py": "",
        "pkg/tests/test_a.py": "import unittest\nclass T(unittest.TestCase):\n    pass\n",
    }
    assert generated(tmp_path / "uv", files).runs("python")[0] == "uv sync --locked --group test"
    pip = {
        "pyproject.toml": '[project]\nname = "pkg"\n[project.optional-dependencies]\n'
        'tests = ["jsonpath-ng"]\n',
        "pkg/__init__.py": "",
        "pkg/tests/test_a.py": "import unittest\nclass T(unittest.TestCase):\n    pass\n",
    }
    assert generated(tmp_path / "pip", pip).runs("python")[0] == (
        'python -m pip install -e ".[tests]"'
    )


NOXFILE = """\
import nox


def tests_impl(session, integration=False):
    session.run_install("uv", "sync", "--frozen", "--group", "test")
    session.run(
        "python", "-m", "coverage", "run", "-m", "pytest",
        *(("--integration",) if integration else ()),
        "-v", "-n", "auto", "--strict-markers", "--disable-socket",
        "--allow-hosts=localhost", "-m", "not network and not slow",
        *(session.posargs or ("test/",)),
    )


@nox.session(python=["3.12", "3.13"])
def test(session):
    tests_impl(session)


@nox.session()
def lint(session):
    session.run("mypy", "--version")
    session.run("mypy", "-p", "pkg")
"""


def test_pytest_runs_with_what_the_cis_nox_session_or_tox_environment_passes(
    tmp_path: Path,
) -> None:
    """urllib3's CI runs `nox -s test-3.12`, whose session hands itself to a helper that
    runs pytest on `test/` (posargs' default) with its own options; isort's CI runs `tox
    -e py`, whose environment runs `pytest tests/unit/ -s`. A bare pytest ran other suites:
    urllib3's whole tree, isort's integration tests (which clone other repositories).
    Paths, selections and output options are carried; a plugin's options (and their
    values), stricter checks and what the runner computes are not."""
    ci = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {run}\n"
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\n'
        'test = ["pytest"]\nmypy = ["mypy"]\n',
        "uv.lock": "version = 1\n",
        "noxfile.py": NOXFILE,
        "test/test_a.py": "",
        ".github/workflows/ci.yml": ci.format(run='uvx nox -s "test-${{ matrix.python }}"'),
    }
    result = generated(tmp_path / "nox", files)
    runs = result.runs("python")
    assert 'uv run pytest -v -m "not network and not slow" test/' in runs
    assert any("as the repository's CI runs its tests through nox" in n for n in result.notes)
    # packaging's CI also runs a session for its property tests: which options are "the
    # tests'" is not ours to choose
    property_session = '@nox.session\ndef prop(session):\n    session.run("pytest", "-m", "prop")\n'
    several = {
        **files,
        "noxfile.py": NOXFILE + property_session,
        ".github/workflows/prop.yml": ci.format(run="pipx run nox -s prop"),
    }
    assert generated(tmp_path / "several", several).runs("python")[-1] == "uv run pytest"
    # the lint session's `mypy --version` asks, it checks nothing; the check is the next line
    lint = {**files, ".github/workflows/lint.yml": ci.format(run="uvx nox -s lint")}
    runs = generated(tmp_path / "lint", lint).runs("python")
    assert "uv run mypy -p pkg" in runs
    assert "uv run mypy --version" not in runs

    tox = (
        "[tox]\nenv_list = py3.12\n[testenv]\n"
        "commands = coverage run -m pytest {posargs:tests/unit/} -s\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\ntest = ["pytest"]\n',
        "uv.lock": "version = 1\n",
        "tox.ini": tox,
        "tests/unit/test_a.py": "",
        "scripts/test_integration.sh": "#!/bin/sh\nuv run pytest tests/integration/ -s\n",
        ".github/workflows/ci.yml": ci.format(run="uv run --with tox-uv tox -e py,report")
        + "      - run: ./scripts/test_integration.sh\n",
    }
    runs = generated(tmp_path / "tox", files).runs("python")
    assert runs[-1] == "uv run pytest tests/unit/ -s"
    # setuptools' CI also runs `tox -e integration`: a secondary suite's environment is
    # not the tests' (its paths were carried alone, the unit tests left out)
    integration = {
        **files,
        "tox.ini": tox + "[testenv:integration]\ncommands = pytest --integration it/\n",
        ".github/workflows/it.yml": ci.format(run="tox -e integration"),
    }
    assert generated(tmp_path / "it", integration).runs("python")[-1] == (
        "uv run pytest tests/unit/ -s"
    )
    # an option nobody knows, before a word that may be its value: nothing is carried
    unknown = {**files, "tox.ini": tox.replace("-s\n", "--mystery value -s\n")}
    assert generated(tmp_path / "unknown", unknown).runs("python")[-1] == "uv run pytest"
    # a plugin loaded by name may not be installed; disabling one is pytest's own
    plugins = {**files, "tox.ini": tox.replace("-s\n", "-p asyncio -p no:cacheprovider -s\n")}
    assert generated(tmp_path / "plugins", plugins).runs("python")[-1] == (
        "uv run pytest tests/unit/ -p no:cacheprovider -s"
    )
    # paths relative to another folder (tox's changedir), a path out of the folder, or
    # arguments the CI hands on itself: nothing is carried
    for name, changed in (
        ("changedir", {"tox.ini": tox.replace("commands", "changedir = tests\ncommands")}),
        ("outside", {"tox.ini": tox.replace("-s\n", "-c ../pytest.ini -s\n")}),
        ("given", {".github/workflows/ci.yml": ci.format(run="tox -e py -- tests/unit/a")}),
    ):
        case = {**files, **changed}
        assert generated(tmp_path / name, case).runs("python")[-1] == "uv run pytest", name
    # a unit-test script that leaves the integration tests out is no secondary suite
    unit = {
        **files,
        "scripts/test_unit.sh": '#!/bin/sh\nuv run pytest -m "not integration" tests\n',
        ".github/workflows/ci.yml": ci.format(run="bash scripts/test_unit.sh")
        + "      - run: bash scripts/test_integration.sh\n",
    }
    assert generated(tmp_path / "unit", unit).runs("python")[-1] == (
        "uv run bash scripts/test_unit.sh"
    )
    # the integration script alone is the CI's test command: it stays
    alone = {**files, ".github/workflows/ci.yml": ci.format(run="./scripts/test_integration.sh")}
    assert generated(tmp_path / "alone", alone).runs("python")[-1] == (
        "uv run ./scripts/test_integration.sh"
    )
