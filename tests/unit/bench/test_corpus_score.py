"""The corpus scorer's arithmetic on made-up labels, and one run over a tiny real tree."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from bench.corpus import labels as labels_file
from bench.corpus import load as load_manifest
from bench.corpus.compare import Observed, ReportedVersion, compare, normalise
from bench.corpus.labels import Maybe, RepoLabels, SecretLabel, VersionLabel
from bench.corpus.score import main, summary


def labelled(**fields: object) -> RepoLabels:
    base: dict[str, object] = {
        "name": "acme/app",
        "languages": ["Python"],
        "top_language": "Python",
        "package_managers": ["uv"],
        "frameworks": [],
        "test_frameworks": ["pytest"],
        "versions": [],
        "dockerfiles": [],
        "compose_files": [],
        "ci": {},
        "secrets": [],
    }
    return msgspec.convert(base | fields, RepoLabels)


def observed(**fields: object) -> Observed:
    base: dict[str, object] = {
        "languages": (("Python", 90.0),),
        "package_managers": frozenset({"uv"}),
        "frameworks": frozenset(),
        "test_frameworks": frozenset({"pytest"}),
        "versions": (),
        "dockerfiles": frozenset(),
        "compose_files": frozenset(),
        "ci": frozenset(),
        "secrets": frozenset(),
        "low_secrets": frozenset(),
    }
    return Observed(**(base | fields))  # type: ignore[arg-type]


def test_sets_count_hits_extras_and_misses_by_canonical_name() -> None:
    result = compare(
        labelled(
            languages=["Python", "HTML"],
            test_frameworks=["pytest", "JUnit4"],
            maybe=Maybe(test_frameworks=["tox"]),
        ),
        observed(
            # SQL is under the 5 % share that makes a main language
            languages=(("Python", 80.0), ("CSS", 15.0), ("SQL", 4.9)),
            test_frameworks=frozenset({"pytest", "junit", "tox", "make test"}),
        ),
    )
    languages = result.counts["languages"]
    assert (languages.tp, languages.fp, languages.fn) == (1, 1, 1)
    tests = result.counts["test_frameworks"]
    # "junit" is an alias of junit4; tox is a maybe; `make test` is extra
    assert (tests.tp, tests.fp, tests.fn) == (2, 1, 0)
    shown = {(m.field, m.text) for m in result.misses}
    assert ("languages", "missing HTML") in shown
    assert ("languages", "extra CSS") in shown
    assert ("test_frameworks", "extra make test") in shown
    assert result.top_language_right


def test_top_language_and_ci_are_right_only_when_all_of_it_is() -> None:
    labels = labelled(
        top_language="Markdown",
        ci={"github_actions": [".github/workflows/ci.yml"], "appveyor": ["appveyor.yml"]},
    )
    result = compare(
        labels, observed(ci=frozenset({("github_actions", ".github/workflows/ci.yml")}))
    )
    assert not result.top_language_right
    assert not result.ci_right
    ci = result.counts["ci_files"]
    assert (ci.tp, ci.fp, ci.fn) == (1, 0, 1)
    assert ("top_language", "expected Markdown, got Python") in {
        (m.field, m.text) for m in result.misses
    }


def test_versions_are_exact_wrong_missing_or_extra() -> None:
    labels = labelled(
        versions=[
            VersionLabel(runtime="cmake", value=">=3.5", file="CMakeLists.txt"),
            VersionLabel(runtime="go", value="1.22", file="go.mod", field="go"),
            VersionLabel(runtime="node", value=">= 18", file="package.json"),
            VersionLabel(runtime="c", value="89", file="Makefile"),
            VersionLabel(runtime="python", file="examples/.python-version", optional=True),
        ]
    )
    reported = (
        ReportedVersion("cmake", "3.5", "CMakeLists.txt", "cmake_minimum_required"),
        ReportedVersion("go", "1.22", "go.mod", "go"),
        ReportedVersion("go", "go1.22.5", "go.mod", "toolchain"),  # no label for the toolchain
        ReportedVersion("node", ">=18", "package.json", "engines.node"),
        # the node label is met; a second, other value from its file is a wrong report
        ReportedVersion("node", "20.1", "package.json", "volta.node"),
        ReportedVersion("python", "3.12", "examples/.python-version", None),  # optional
        ReportedVersion("gradle", "8.10", "gradle-wrapper.properties", None),  # not scored
    )
    result = compare(labels, observed(versions=reported))
    assert (result.versions_exact, result.versions_labelled) == (2, 4)
    # cmake (wrong), go, go toolchain (extra), node, node 20.1 (wrong); the optional and
    # gradle are left out
    assert (result.versions_right, result.versions_reported) == (2, 5)
    texts = [m.text for m in result.misses if m.field == "versions"]
    assert texts == [
        "expected cmake >=3.5 (CMakeLists.txt), got 3.5",
        "missing c 89 (Makefile)",
        "extra go go1.22.5 (go.mod toolchain)",
        "extra node 20.1 (package.json volta.node)",
    ]


def test_version_values_compare_without_spacing_prefixes_or_standard_names() -> None:
    assert normalise("node", ">= 18") == normalise("node", ">=18")
    assert normalise("node", "v20.1") == "20.1"
    assert normalise("c", "c89") == normalise("c", "89")
    assert normalise("c++", "gnu++17") == "17"
    assert normalise("python", "3.12") != normalise("python", "3.1")


def test_secrets_score_findings_above_low_and_with_low_apart() -> None:
    labels = labelled(
        secrets=[SecretLabel(path="config/dev.exs", line=3), SecretLabel(path="key.pem", line=1)]
    )
    result = compare(
        labels,
        observed(
            secrets=frozenset({("config/dev.exs", 3), ("assets/logo.svg", 4)}),
            low_secrets=frozenset({("key.pem", 1), ("tests/test_x.py", 9)}),
        ),
    )
    strict = result.counts["secrets"]
    assert (strict.tp, strict.fp, strict.fn) == (1, 1, 1)
    loose = result.counts["secrets_with_low"]
    assert (loose.tp, loose.fp, loose.fn) == (2, 2, 0)


def test_summary_micro_averages_over_repositories() -> None:
    one = compare(labelled(frameworks=["Django"]), observed(frameworks=frozenset({"Django"})))
    two = compare(
        labelled(name="acme/site", frameworks=["Jekyll", "Vue"]),
        observed(frameworks=frozenset({"Vue", "React"})),
    )
    totals = summary([one, two])
    frameworks = totals.fields["frameworks"]
    assert (frameworks.tp, frameworks.fp, frameworks.fn) == (2, 1, 1)
    assert frameworks.precision == pytest.approx(2 / 3)
    assert frameworks.recall == pytest.approx(2 / 3)
    assert frameworks.f1 == pytest.approx(2 / 3)
    assert totals.top_language == 2
    # no framework labelled and none found: no figure rather than a perfect one
    assert totals.fields["dockerfiles"].precision is None


def test_every_manifest_repository_is_labelled_once() -> None:
    labels = labels_file.load()
    assert sorted(label.name for label in labels) == sorted(r.name for r in load_manifest())
    systems = {system for label in labels for system in label.ci}
    assert systems <= {"github_actions", "travis", "appveyor", "azure_pipelines", "gitlab_ci"}
    for label in labels:
        assert label.top_language in label.languages, label.name
        assert not set(label.maybe.frameworks) & set(label.frameworks), label.name


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_scores_the_analysis_of_a_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkouts = tmp_path / "corpus"
    write(
        checkouts / "acme+app",
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "1"\n'
            'requires-python = ">=3.11"\ndependencies = ["flask>=3"]\n\n'
            '[dependency-groups]\ndev = ["pytest>=8"]\n',
            "uv.lock": "version = 1\n",
            "src/app/__init__.py": "def add(a: int, b: int) -> int:\n    return a + b\n" * 20,
            "tests/test_app.py": "from app import add\n\n\ndef test_add():\n"
            "    assert add(1, 2) == 3\n",
            "Dockerfile": "FROM python:3.12-slim\n",
            ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - run: uv run pytest\n",
        },
    )
    (tmp_path / "manifest.toml").write_text(
        '[[repo]]\nname = "acme/app"\ncommit = "' + "0" * 40 + '"\n'
        'default_branch = "main"\necosystem = "python"\n\n'
        '[[repo]]\nname = "acme/gone"\ncommit = "' + "1" * 40 + '"\n'
        'default_branch = "main"\necosystem = "python"\n'
    )
    (tmp_path / "labels.toml").write_text(
        '[[repo]]\nname = "acme/app"\nlanguages = ["Python"]\ntop_language = "Python"\n'
        'package_managers = ["uv"]\nframeworks = ["Django"]\ntest_frameworks = ["pytest"]\n'
        'versions = [{ runtime = "python", value = ">=3.11", file = "pyproject.toml" }]\n'
        'dockerfiles = ["Dockerfile"]\ncompose_files = []\n'
        'ci = { github_actions = [".github/workflows/ci.yml"] }\nsecrets = []\n\n'
        '[[repo]]\nname = "acme/gone"\nlanguages = []\ntop_language = "Go"\n'
        "package_managers = []\nframeworks = []\ntest_frameworks = []\nversions = []\n"
        "dockerfiles = []\ncompose_files = []\nci = {}\nsecrets = []\n"
    )
    code = main(
        [
            str(checkouts),
            "--json",
            "--labels",
            str(tmp_path / "labels.toml"),
            "--manifest",
            str(tmp_path / "manifest.toml"),
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["repositories"] == 1
    assert out["skipped"] == {"acme/gone": "not checked out"}
    fields = out["fields"]
    for name in ("languages", "package_managers", "test_frameworks", "dockerfiles", "ci_files"):
        assert (fields[name]["tp"], fields[name]["fp"], fields[name]["fn"]) == (1, 0, 0), name
    # the label says Django where the project declares Flask: one of each way
    assert (fields["frameworks"]["fp"], fields["frameworks"]["fn"]) == (1, 1)
    assert out["versions"]["exact"] == out["versions"]["labelled"] == 1
    assert (out["top_language"], out["ci_exact"]) == (1, 1)
    misses = {(m["field"], m["kind"]) for m in out["repos"][0]["misses"]}
    assert misses == {("frameworks", "missing"), ("frameworks", "extra")}
    assert out["cpu_seconds"] > 0
