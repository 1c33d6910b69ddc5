"""CI/CD, testing, dependency and documentation checks."""

from __future__ import annotations

import re

from libs.analysis.hygiene.inputs import Inputs, absent, check, ratio_status
from libs.analysis.report import Category, Check, Evidence

# Package managers whose projects are expected to commit a lockfile.
LOCKING_MANAGERS = frozenset(
    {
        "npm",
        "yarn",
        "pnpm",
        "bun",
        "poetry",
        "uv",
        "pdm",
        "pipenv",
        "cargo",
        "go",
        "bundler",
        "composer",
        "mix",
        "swiftpm",
    }
)
_TEST_FILE = re.compile(
    r"(?:^|/)(?:tests?|spec|__tests__|e2e|integration[-_]tests?)/"
    r"|(?:^|/)test_[^/]+\.py$|_test\.(?:py|go|exs|rb)$|\.(?:test|spec)\.[cm]?[jt]sx?$"
    r"|(?:Test|Tests|IT|Spec)\.(?:java|kt|cs|swift|scala|php)$|_spec\.rb$"
)
_FUZZ = re.compile(r"(?:^|/)(?:fuzz|fuzzing|\.clusterfuzzlite)/|(?:^|/)fuzz_[^/]+\.py$")


def ci_present(inputs: Inputs) -> Check:
    pipelines = inputs.ci.pipelines
    if pipelines:
        systems = sorted({p.system for p in pipelines})
        return check(
            "ci-present",
            "ci_cd",
            10,
            "pass",
            f"CI configured ({', '.join(systems)})",
            evidence=[Evidence(path=p.path) for p in pipelines],
        )
    if not inputs.stack.subprojects:
        return check("ci-present", "ci_cd", 10, "not_applicable", "no code to build or test")
    return check(
        "ci-present",
        "ci_cd",
        10,
        "fail",
        "no CI pipeline",
        evidence=absent(
            "no GitHub Actions, GitLab CI, CircleCI, Travis, Azure, Jenkins or "
            "Bitbucket configuration"
        ),
        fix="Add a CI workflow that installs, lints and tests the project on every push and "
        "pull request (AutoDevOps can generate one).",
    )


def _pipeline_check(
    inputs: Inputs, id: str, attribute: str, weight: int, what: str, fix: str
) -> Check:
    category: Category = "testing" if attribute == "runs_tests" else "ci_cd"
    pipelines = inputs.ci.pipelines
    if not inputs.stack.subprojects:
        return check(id, category, weight, "not_applicable", "no code to build or test")
    if not pipelines:  # the ci-present recommendation covers this one
        return check(id, category, weight, "fail", "no CI pipeline")
    doing = [p for p in pipelines if getattr(p, attribute)]
    if doing:
        evidence = [Evidence(path=p.path) for p in doing]
        return check(id, category, weight, "pass", f"CI {what}", evidence=evidence)
    evidence = [Evidence(path=p.path) for p in pipelines]
    return check(id, category, weight, "fail", f"no pipeline {what}", evidence=evidence, fix=fix)


def ci_runs_tests(inputs: Inputs) -> Check:
    return _pipeline_check(
        inputs,
        "ci-runs-tests",
        "runs_tests",
        8,
        "runs the tests",
        "Run the test suite in CI on every push and pull request.",
    )


def ci_runs_lint(inputs: Inputs) -> Check:
    return _pipeline_check(
        inputs,
        "ci-runs-lint",
        "runs_lint",
        5,
        "runs linters",
        "Run the project's linters and formatters in check mode in CI.",
    )


def ci_caches(inputs: Inputs) -> Check:
    return _pipeline_check(
        inputs,
        "ci-caches",
        "caches",
        3,
        "caches dependencies",
        "Cache dependencies in CI, keyed on the lockfile (e.g. setup-node's `cache:`).",
    )


def packaging(inputs: Inputs) -> Check:
    releasing = [p for p in inputs.ci.pipelines if p.releases]
    if releasing:
        return check(
            "Packaging",
            "ci_cd",
            3,
            "pass",
            "releases are published from CI",
            evidence=[Evidence(path=p.path) for p in releasing],
        )
    return check(
        "Packaging",
        "ci_cd",
        3,
        "unknown",
        "no publishing workflow found (not every project publishes packages)",
    )


def dependency_update_tool(inputs: Inputs) -> Check:
    tools = inputs.ci.dependency_update_tools
    if tools:
        return check(
            "Dependency-Update-Tool",
            "dependencies",
            6,
            "pass",
            f"dependency updates by {', '.join(t.name for t in tools)}",
            evidence=[Evidence(path=t.source) for t in tools],
        )
    if not inputs.stack.subprojects and not inputs.workflows:
        return check(
            "Dependency-Update-Tool", "dependencies", 6, "not_applicable", "nothing to update"
        )
    return check(
        "Dependency-Update-Tool",
        "dependencies",
        6,
        "fail",
        "no Dependabot or Renovate configuration",
        evidence=absent("no .github/dependabot.yml and no Renovate config"),
        fix="Add .github/dependabot.yml covering each package ecosystem and github-actions.",
    )


def lockfile_committed(inputs: Inputs) -> Check:
    relevant = [
        s
        for s in inputs.stack.subprojects
        if any(m.name in LOCKING_MANAGERS and not _from_tasks(m.source) for m in s.package_managers)
    ]
    if not relevant:
        return check(
            "lockfile-committed",
            "dependencies",
            8,
            "not_applicable",
            "no package manager that uses a lockfile",
        )
    missing = [s for s in relevant if not s.lockfiles]
    evidence = [
        Evidence(path=(s.manifests or [s.path])[0], detail="no lockfile next to this manifest")
        for s in missing
    ]
    good = len(relevant) - len(missing)
    return check(
        "lockfile-committed",
        "dependencies",
        8,
        ratio_status(good, len(relevant)),
        f"{good} of {len(relevant)} projects commit a lockfile",
        score=good / len(relevant),
        evidence=evidence,
        fix="Commit the lockfile your package manager writes so builds are reproducible.",
    )


def _from_tasks(source: str) -> bool:
    """A manager known only from the commands a project's tasks or CI run (`uv run` in a
    Justfile): the project declares no lock of its own to commit, as libraries do."""
    name = source.rsplit("/", 1)[-1]
    return source.startswith(".github/workflows/") or name in _TASK_FILES


_TASK_FILES = frozenset({"justfile", "Justfile", "Makefile", "tox.ini", "noxfile.py"})


def tests_present(inputs: Inputs) -> Check:
    if not inputs.stack.subprojects:
        return check("tests-present", "testing", 10, "not_applicable", "no code to test")
    files = [e.path for e in inputs.tree.files if _TEST_FILE.search(e.path)]
    frameworks = [f for s in inputs.stack.subprojects for f in s.test_frameworks]
    if files:
        return check(
            "tests-present",
            "testing",
            10,
            "pass",
            f"{len(files)} test file(s)",
            evidence=[Evidence(path=p) for p in files[:5]],
        )
    if frameworks:
        return check(
            "tests-present",
            "testing",
            10,
            "partial",
            "a test framework is configured but no test files were found",
            evidence=[Evidence(path=f.source) for f in frameworks[:5]],
            fix="Add tests for the main code paths.",
        )
    return check(
        "tests-present",
        "testing",
        10,
        "fail",
        "no tests",
        evidence=absent("no test files and no test framework configured"),
        fix="Add a test suite with the ecosystem's standard framework and run it in CI.",
    )


def fuzzing(inputs: Inputs) -> Check:
    for entry in inputs.tree.files:
        if _FUZZ.search(entry.path):
            return check(
                "Fuzzing",
                "testing",
                2,
                "pass",
                "fuzzing set up",
                evidence=[Evidence(path=entry.path)],
            )
        if entry.name.endswith("_test.go") and "func Fuzz" in (
            inputs.tree.read_text(entry.path) or ""
        ):
            return check(
                "Fuzzing",
                "testing",
                2,
                "pass",
                "Go fuzz tests",
                evidence=[Evidence(path=entry.path)],
            )
    if not inputs.stack.subprojects:
        return check("Fuzzing", "testing", 2, "not_applicable", "no code to fuzz")
    return check(
        "Fuzzing",
        "testing",
        2,
        "fail",
        "no fuzzing",
        evidence=absent("no fuzz targets, ClusterFuzzLite or Go fuzz tests"),
        fix="Add fuzz tests for parsers and input handling (OSS-Fuzz, ClusterFuzzLite, "
        "go test -fuzz, cargo-fuzz, Atheris).",
    )


def readme(inputs: Inputs) -> Check:
    path = next(
        (e.path for e in inputs.tree.in_dir(".") if e.name.lower().startswith("readme")), None
    )
    if path is None:
        return check(
            "readme",
            "documentation",
            10,
            "fail",
            "no README",
            evidence=absent("no README file in the root"),
            fix="Add a README saying what the project does, how to install, run and test it.",
        )
    size = inputs.tree.get(path).size if inputs.tree.get(path) else 0  # type: ignore[union-attr]
    if size < 300:
        return check(
            "readme",
            "documentation",
            10,
            "partial",
            f"README is very short ({size} bytes)",
            evidence=[Evidence(path=path)],
            fix="Expand the README: purpose, installation, usage, development and testing.",
        )
    return check(
        "readme", "documentation", 10, "pass", "README present", evidence=[Evidence(path=path)]
    )


def _doc_check(
    inputs: Inputs, id: str, stems: tuple[str, ...], weight: int, what: str, fix: str
) -> Check:
    path = inputs.find_doc(*stems)
    if path is not None:
        return check(
            id, "documentation", weight, "pass", f"{what} present", evidence=[Evidence(path=path)]
        )
    evidence = absent(f"no {what} in the root, .github/ or docs/")
    return check(id, "documentation", weight, "fail", f"no {what}", evidence=evidence, fix=fix)


def contributing(inputs: Inputs) -> Check:
    return _doc_check(
        inputs,
        "contributing",
        ("contributing",),
        4,
        "contributing guide",
        "Add CONTRIBUTING.md explaining how to set up, test and submit changes.",
    )


def codeowners(inputs: Inputs) -> Check:
    return _doc_check(
        inputs,
        "codeowners",
        ("codeowners",),
        3,
        "CODEOWNERS file",
        "Add .github/CODEOWNERS so reviews are requested from the right people.",
    )


def license_file(inputs: Inputs) -> Check:
    return _doc_check(
        inputs,
        "License",
        ("license", "licence", "copying", "unlicense"),
        6,
        "license",
        "Add a LICENSE file with the terms the code may be used under.",
    )
