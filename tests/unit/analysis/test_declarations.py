"""What CI generation needs beyond a tool's name: where a Python tool is declared (which
groups an install step brings in) and which golangci-lint config format a repository uses."""

from __future__ import annotations

from libs.analysis.report import Fact
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build

PYPROJECT = """\
[project]
name = "app"
dependencies = ["httpx"]
[project.optional-dependencies]
lint = ["flake8"]
[dependency-groups]
dev = [{ include-group = "tests" }, "pre-commit"]
tests = ["pytest>=8", "mypy"]
docs = ["black>=25.1"]
[tool.ruff]
[tool.mypy]
"""


def tool(facts: list[Fact], name: str) -> Fact:
    return next(f for f in facts if f.name == name)


def test_python_tools_say_which_dependency_groups_list_them(build: Build) -> None:
    root = build({"pyproject.toml": PYPROJECT, "uv.lock": "", "app.py": ""})
    sub = analyse_stack(Tree.scan(root)).subprojects[0]
    # include-group is followed: mypy reaches the dev group through tests
    assert tool(sub.tools, "mypy").groups == ("group:dev", "group:tests")
    assert tool(sub.tools, "black").groups == ("group:docs",)
    assert tool(sub.tools, "flake8").groups == ("extra:lint",)
    # configured, but declared nowhere: only pre-commit could bring it
    assert tool(sub.tools, "ruff").groups == ()
    assert tool(sub.test_frameworks, "pytest").groups == ("group:dev", "group:tests")


def test_requirements_files_and_poetry_groups(build: Build) -> None:
    root = build(
        {
            "requirements-dev.txt": "flake8==7.1\n-r requirements.txt\n",
            "requirements.txt": "django\n",
            "pyproject.toml": (
                "[tool.poetry.group.lint.dependencies]\nruff = '*'\n"
                "[tool.poetry.group.extra.dependencies]\nmypy = '*'\n"
                "[tool.poetry.group.extra]\noptional = true\n"
            ),
        }
    )
    sub = analyse_stack(Tree.scan(root)).subprojects[0]
    assert tool(sub.tools, "flake8").groups == ("requirements-dev.txt",)
    assert tool(sub.tools, "ruff").groups == ("group:lint",)
    assert tool(sub.tools, "mypy").groups == ("extra:extra",)


def test_golangci_lint_config_format_version(build: Build) -> None:
    for text, version in (
        ('version: "2"\nlinters:\n  default: standard\n', "2"),
        ("linters:\n  enable: [gofmt]\nrun:\n  version: 3\n", "1"),
    ):
        root = build({"go.mod": "module example.com/x\n\ngo 1.23\n", ".golangci.yml": text})
        sub = analyse_stack(Tree.scan(root)).subprojects[0]
        assert tool(sub.tools, "golangci-lint").version == version
    root = build({"go.mod": "module example.com/x\n", ".golangci.toml": 'version = "2"\n'})
    sub = analyse_stack(Tree.scan(root)).subprojects[0]
    assert tool(sub.tools, "golangci-lint").version == "2"


def test_test_files_without_a_declared_runner_are_pytest_tests(build: Build) -> None:
    root = build({"setup.py": "", "tests/test_app.py": "def test_it():\n    assert True\n"})
    sub = analyse_stack(Tree.scan(root)).subprojects[0]
    assert [(f.name, f.source, f.groups) for f in sub.test_frameworks] == [
        ("pytest", "tests/test_app.py", ())
    ]
