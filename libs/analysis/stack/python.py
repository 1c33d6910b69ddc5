"""Python: pip, poetry, uv, pdm, pipenv, hatch, conda; frameworks from declared dependencies.

Frameworks come from runtime dependencies only (`project.dependencies`, poetry's main
dependencies, Pipfile `[packages]`, setup.py/setup.cfg `install_requires`, requirement
files not named for dev/test/docs): an optional extra or a test group that pulls in
Flask (FastAPI's) or aiohttp (black's `d` extra) does not make the project a Flask or
aiohttp project. Test frameworks, tools and services come from every group.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

import msgspec

from libs.analysis.parsing import listing, mapping
from libs.analysis.stack.layout import in_workspace, relative
from libs.analysis.stack.model import Project, as_str, dig, load_toml, load_yaml
from libs.analysis.tree import parent_dirs

MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "environment.yml")
FRAMEWORKS = {
    "django": "Django",
    "flask": "Flask",
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "aiohttp": "aiohttp",
    "tornado": "Tornado",
    "sanic": "Sanic",
    "pyramid": "Pyramid",
    "litestar": "Litestar",
    "quart": "Quart",
    "falcon": "Falcon",
    "bottle": "Bottle",
    "streamlit": "Streamlit",
    "gradio": "Gradio",
    "dash": "Dash",
    "djangorestframework": "Django REST framework",
}
TEST_DEPS = {
    "pytest": "pytest",
    "nose2": "nose2",
    "behave": "behave",
    "ward": "ward",
    "testcontainers": "testcontainers",
    "pytest-docker": "docker compose",
    "pytest-docker-compose": "docker compose",
}
TOOL_DEPS = {
    "ruff": "ruff",
    "black": "black",
    "flake8": "flake8",
    "mypy": "mypy",
    "pylint": "pylint",
    "isort": "isort",
    "pyright": "pyright",
    "bandit": "bandit",
    "tox": "tox",
    "nox": "nox",
    "pre-commit": "pre-commit",
    "prek": "prek",
    "poethepoet": "poe",
}
SERVICE_DEPS = {
    "psycopg": "postgres",
    "psycopg2": "postgres",
    "psycopg2-binary": "postgres",
    "asyncpg": "postgres",
    "pg8000": "postgres",
    "redis": "redis",
    "aioredis": "redis",
    "valkey": "redis",
    "pymongo": "mongodb",
    "motor": "mongodb",
    "mongoengine": "mongodb",
    "mysqlclient": "mysql",
    "pymysql": "mysql",
    "aiomysql": "mysql",
    "mysql-connector-python": "mysql",
    "elasticsearch": "elasticsearch",
    "pika": "rabbitmq",
    "aio-pika": "rabbitmq",
    "confluent-kafka": "kafka",
    "kafka-python": "kafka",
    "aiokafka": "kafka",
    "pymemcache": "memcached",
}
# a fact's name -> the package that declares it, where the two differ
_PACKAGE_OF = {"poe": "poethepoet", "docker compose": "pytest-docker"}
# Config sections and files that show a tool is configured, not merely installed.
TOOL_SECTIONS = {
    "ruff": "ruff",
    "black": "black",
    "mypy": "mypy",
    "pylint": "pylint",
    "isort": "isort",
    "pyright": "pyright",
    "bandit": "bandit",
    "tox": "tox",
}
TOOL_FILES = {
    "ruff.toml": "ruff",
    ".ruff.toml": "ruff",
    ".flake8": "flake8",
    "mypy.ini": "mypy",
    ".mypy.ini": "mypy",
    ".pylintrc": "pylint",
    "pylintrc": "pylint",
    ".isort.cfg": "isort",
    "pyrightconfig.json": "pyright",
    "tox.ini": "tox",
    "noxfile.py": "nox",
    ".bandit": "bandit",
}
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")
_SETUP_PY_REQUIRES = re.compile(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]")
_SETUP_PY_LIST = re.compile(r"(install_requires|tests_require)\s*=\s*\[([^\]]*)\]", re.S)
# requirement files for development only: requirements-dev.txt, requirements/test.in...
_DEV_REQUIREMENTS = re.compile(
    r"(?:^|[-_./])(?:dev|devel|test|tests|testing|lint|docs?|ci|typing)\b"
)
# [tool.pdm] keys that only pdm the package manager reads; `build` and `version` configure
# the pdm-backend build backend, which projects use with pip or uv as well (FastAPI)
_PDM_MANAGER_KEYS = ("dev-dependencies", "scripts", "resolution", "options", "source", "plugins")
# [tool.poetry] keys that need poetry itself; a poetry-core build backend with [project]
# metadata installs with pip like any other
_POETRY_MANAGER_KEYS = ("dependencies", "dev-dependencies", "group", "requires-poetry")
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")
# A unittest suite: a TestCase subclass, of unittest's or Django's (unittest underneath).
# `from unittest import mock` alone is a mocking library used with any runner.
_TEST_CASE = re.compile(
    r"^\s*class\s+\w+\s*\([^)]*\b(?:unittest\.)?(?:Isolated)?(?:Async(?:io)?)?"
    r"(?:Simple|Transaction|LiveServer|StaticLiveServer)?TestCase\b",
    re.M,
)
_MANAGE_TEST = re.compile(r"manage\.py\s+test\b")
_TEST_FOLDER = re.compile(r"(?:^|/)tests?$")
_TASK_FILES = ("justfile", "Justfile", "Makefile", "tox.ini", "noxfile.py")
_UV_USE = re.compile(r"\buv\s+(?:run|sync)\b|\brunner\s*=\s*uv-venv")
# uv as pip (`uv pip install -r requirements/test.txt`, yarl's CI): a pip project still
_UV_PIP = re.compile(r"\buv\s+pip\s+install\b")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(spec: str) -> tuple[str, str | None] | None:
    """(normalized name, version spec or None) of a PEP 508 line; None for options/URLs."""
    spec = spec.strip()
    if not spec or spec.startswith(("-", "#", "git+", "http:", "https:", "file:", ".")):
        return None
    match = _REQ_NAME.match(spec)
    if match is None:
        return None
    version = match.group(3).strip() or None
    return normalize(match.group(1)), version


Deps = dict[str, tuple[str, str | None]]  # normalized name -> (source file, version spec)


def detect(project: Project) -> None:
    tree = project.tree
    deps: Deps = {}  # every declared dependency, runtime ones first
    runtime: Deps = {}  # what the project needs to run
    found = False
    pyproject_path = project.file("pyproject.toml")
    pyproject = load_toml(tree, pyproject_path) if pyproject_path else {}
    for name in MANIFESTS:
        path = project.file(name)
        if path is not None:
            project.manifest(path)
            found = True
    requirements = _requirement_files(project)
    for path in requirements:
        project.manifest(path)
    if not found and not requirements:
        return
    project.ecosystems.add("python")
    for path in requirements:
        if not _DEV_REQUIREMENTS.search(path.rpartition("/")[2].lower()):
            _add_requirements(runtime, path, tree.read_text(path) or "")
    if pyproject_path:
        _pyproject_runtime_deps(runtime, pyproject_path, pyproject)
    _setup_deps(project, runtime, tests=False)
    _pipfile(project, runtime, dev=False)
    deps.update(runtime)
    for path in requirements:
        _add_requirements(deps, path, tree.read_text(path) or "")
    if pyproject_path:
        _pyproject_dev_deps(deps, pyproject_path, pyproject)
    _setup_deps(project, deps, tests=True)
    _pipfile(project, deps, dev=True)
    _managers(project, pyproject_path, pyproject, requirements)
    _runtimes(project, pyproject_path, pyproject)
    project.declared(runtime, frameworks=FRAMEWORKS)
    project.declared(deps, services=SERVICE_DEPS)
    _tests(project, pyproject_path, pyproject, deps)
    _tools(project, pyproject_path, pyproject, deps)
    declarations = _declarations(project, pyproject, requirements)
    _groups(project, declarations)
    project.sub.test_declarations = sorted(
        {g for groups in declarations.values() for g in groups if _TEST_DECLARATION.match(g)}
    )
    _scripts(project, pyproject_path, pyproject)
    project.sub.version_from_git = _version_from_git(project, pyproject_path, pyproject)
    project.sub.python_package = _package_file(project, pyproject_path, pyproject)
    project.sub.package_installed_by = [
        path
        for path in requirements
        if any(_ITSELF.match(line.strip()) for line in _requirement_lines(project, path))
    ]


# a dependency group or extra named for the tests
_TEST_DECLARATION = re.compile(r"^(?:group|extra):(?:tests?|testing)$", re.I)
# a requirements line installing the folder pip runs in: `-e .`, `.[test]`, `-e file:.`
_ITSELF = re.compile(
    r"^(?:(?:-e|--editable)(?:\s+|=))?(?:file:)?\./?(?:\[[^\]]*\])?(?:#egg=\S+)?(?:\s|$)"
)


def _package_file(
    project: Project, pyproject_path: str | None, pyproject: dict[str, Any]
) -> str | None:
    """The file that makes the folder a package meant to be installed (python-dotenv's
    CI installs its requirements.txt, then tox installs the package; with the
    requirements alone its tests could not import it): a pyproject.toml that names its
    build backend, or a setup.py. An application's `[project]` table alone does not
    (setuptools' discovery refuses a flat layout of several top-level packages)."""
    if pyproject_path and "build-system" in pyproject:
        return pyproject_path
    return project.file("setup.py")


# build requirements that take the package's version from git tags
_GIT_VERSIONERS = frozenset(
    {
        "setuptools-scm",
        "hatch-vcs",
        "versioningit",
        "poetry-dynamic-versioning",
        "uv-dynamic-versioning",
        "dunamai",
        "flit-scm",
        "setuptools-git-versioning",
        "pbr",
    }
)
# configurations that do the same with a backend's own support
_GIT_VERSION_TABLES = (
    (("tool", "hatch", "version", "source"), "vcs", "hatch-vcs"),
    (("tool", "pdm", "version", "source"), "scm", "pdm-backend's scm version"),
)
_SCM_SETUP = re.compile(r"\buse_scm_version\b|\bsetuptools[_-]scm\b")


def _version_from_git(
    project: Project, pyproject_path: str | None, pyproject: dict[str, Any]
) -> str | None:
    """Where the package's version comes from git tags (setuptools-scm, hatch-vcs...),
    the file and tool that say so. On a shallow clone without tags such a package is
    version 0.1.dev1, and a test dependency that requires the package itself (filelock's
    virtualenv, pluggy's pytest) cannot be resolved."""
    if pyproject_path:
        for spec in listing(dig(pyproject, "build-system", "requires")):
            parsed = parse_requirement(spec) if isinstance(spec, str) else None
            if parsed is not None and parsed[0] in _GIT_VERSIONERS:
                return f"{pyproject_path} ({parsed[0]})"
        for keys, value, tool in _GIT_VERSION_TABLES:
            if dig(pyproject, *keys) == value:
                return f"{pyproject_path} ({tool})"
        if isinstance(dig(pyproject, "tool", "setuptools_scm"), dict):
            return f"{pyproject_path} (setuptools-scm)"
    for name in ("setup.py", "setup.cfg"):
        path = project.file(name)
        if path is not None and _SCM_SETUP.search(project.tree.read_text(path) or ""):
            return f"{path} (setuptools-scm)"
    return None


def _requirement_files(project: Project) -> list[str]:
    found: list[str] = []
    prefix = "" if project.path == "." else project.path + "/"
    for entry in project.tree.in_dir(project.path):
        if entry.name.startswith("requirements") and entry.name.endswith((".txt", ".in")):
            found.append(entry.path)
    for entry in project.tree.in_dir(prefix + "requirements"):
        if entry.name.endswith((".txt", ".in")):
            found.append(entry.path)
    return found


def _add_requirements(deps: Deps, path: str, text: str) -> None:
    for line in text.splitlines():
        parsed = parse_requirement(line)
        if parsed is not None:
            deps.setdefault(parsed[0], (path, parsed[1]))


def _add_specs(deps: Deps, path: str, specs: Any, *, optional: bool = True) -> None:
    """Add PEP 508 strings, or a poetry/pipenv table (without its `optional = true`
    entries, which are extras, unless `optional`)."""
    if isinstance(specs, list):
        for spec in specs:
            if isinstance(spec, str):
                parsed = parse_requirement(spec)
                if parsed is not None:
                    deps.setdefault(parsed[0], (path, parsed[1]))
    elif isinstance(specs, dict):  # poetry / pipenv tables: name = "version" or {version=...}
        for name, value in specs.items():
            if not optional and dig(value, "optional") is True:
                continue
            version = as_str(value) or as_str(dig(value, "version"))
            deps.setdefault(normalize(name), (path, version))


def _project_dependencies(data: dict[str, Any]) -> list[Any]:
    """`project.dependencies`, or where pyproject declares them `dynamic`, the lists a
    hatch metadata hook fills them from (`[tool.hatch.metadata.hooks.uv-dynamic-versioning]
    dependencies`): what the built package requires either way."""
    declared = dig(data, "project", "dependencies")
    if isinstance(declared, list) or "dependencies" not in listing(dig(data, "project", "dynamic")):
        return declared if isinstance(declared, list) else []
    hooks = mapping(dig(data, "tool", "hatch", "metadata", "hooks")).values()
    return [spec for hook in hooks for spec in listing(dig(hook, "dependencies"))]


def _pyproject_runtime_deps(deps: Deps, path: str, data: dict[str, Any]) -> None:
    _add_specs(deps, path, _project_dependencies(data))
    _add_specs(deps, path, dig(data, "tool", "poetry", "dependencies"), optional=False)
    deps.pop("python", None)


def _pyproject_dev_deps(deps: Deps, path: str, data: dict[str, Any]) -> None:
    """Extras and dependency groups (runtime dependencies are in `deps` already)."""
    for group in mapping(dig(data, "project", "optional-dependencies")).values():
        _add_specs(deps, path, group)
    for group in mapping(dig(data, "dependency-groups")).values():
        _add_specs(deps, path, group)
    poetry = mapping(dig(data, "tool", "poetry"))
    _add_specs(deps, path, dig(poetry, "dependencies"))
    _add_specs(deps, path, dig(poetry, "dev-dependencies"))
    for group in mapping(dig(poetry, "group")).values():
        _add_specs(deps, path, dig(group, "dependencies"))
    for group in mapping(dig(data, "tool", "pdm", "dev-dependencies")).values():
        _add_specs(deps, path, group)
    deps.pop("python", None)


def _setup_deps(project: Project, deps: Deps, *, tests: bool) -> None:
    """install_requires of setup.py and setup.cfg; with `tests`, setup.py's tests_require."""
    path = project.file("setup.py")
    if path is not None:
        text = project.tree.read_text(path) or ""
        for keyword, block in _SETUP_PY_LIST.findall(text):
            if keyword == "tests_require" and not tests:
                continue
            for spec in _QUOTED.findall(block):
                parsed = parse_requirement(spec)
                if parsed is not None:
                    deps.setdefault(parsed[0], (path, parsed[1]))
    path = project.file("setup.cfg")
    if path is not None:
        section = _cfg_option(project.tree.read_text(path) or "", "options", "install_requires")
        _add_requirements(deps, path, section or "")


def _cfg_option(text: str, section: str, option: str) -> str | None:
    """The (possibly multi-line) value of `option` in `[section]` of an ini file."""
    current = None
    collecting: list[str] | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("["):
            if collecting is not None:
                break
            current = line.strip("[] ")
            continue
        if current != section:
            continue
        if collecting is not None:
            if line and not line[0].isspace():
                break
            collecting.append(line.strip())
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip() == option:
            collecting = [value.strip()]
    return "\n".join(collecting) if collecting is not None else None


def _pipfile(project: Project, deps: Deps, *, dev: bool) -> None:
    """Pipfile [packages]; with `dev`, [dev-packages] and the required Python too."""
    path = project.file("Pipfile")
    if path is None:
        return
    data = load_toml(project.tree, path)
    _add_specs(deps, path, data.get("packages"))
    if not dev:
        return
    _add_specs(deps, path, data.get("dev-packages"))
    for key in ("python_version", "python_full_version"):
        project.runtime_at("python", data, path, "requires", key)


def _managers(
    project: Project, pyproject_path: str | None, data: dict[str, Any], requirements: list[str]
) -> None:
    tree = project.tree
    for lock, name in (
        ("uv.lock", "uv"),
        ("poetry.lock", "poetry"),
        ("pdm.lock", "pdm"),
        ("Pipfile.lock", "pipenv"),
        ("pylock.toml", "pip"),
    ):
        path = project.file(lock)
        if path is not None:
            project.lockfile(path)
            project.package_manager(name, path)
    if pyproject_path:
        _pyproject_managers(project, pyproject_path, data)
    pipfile = project.file("Pipfile")
    if pipfile is not None:
        project.package_manager("pipenv", pipfile)
    conda = project.file("environment.yml")
    if conda is not None and isinstance(load_yaml(tree, conda), dict):
        project.package_manager("conda", conda)
    for path in requirements:
        text = tree.read_text(path) or ""
        if "--hash=" in text or "autogenerated by pip-compile" in text:
            project.lockfile(path)
    if not project.sub.package_managers:
        _unlocked_manager(project, pyproject_path, requirements)


def _unlocked_manager(
    project: Project, pyproject_path: str | None, requirements: list[str]
) -> None:
    """The manager of a project with no lockfile or manager settings of its own: uv when
    it is a uv workspace member or its tasks and CI run uv, else pip."""
    workspace = _uv_workspace(project)
    if workspace is not None:
        project.package_manager("uv", workspace)
        if workspace.endswith("uv.lock"):
            project.lockfile(workspace)
        return
    runner = _uv_runner(project)
    if runner is not None:
        project.package_manager("uv", runner)
        return
    source = requirements[0] if requirements else None
    source = source or pyproject_path or project.file("setup.py") or project.file("setup.cfg")
    if source is not None:
        project.package_manager("pip", source)


def _uv_workspace(project: Project) -> str | None:
    """The uv.lock (or, without one, the pyproject.toml) of the uv workspace whose
    members include this project, looked up the folders above it."""
    tree = project.tree
    for directory in parent_dirs(project.path):
        below = relative(project.path, directory)
        pyproject = tree.first(directory, "pyproject.toml")
        if below is None or pyproject is None:
            continue
        workspace = dig(load_toml(tree, pyproject), "tool", "uv", "workspace")
        members = [m for m in listing(dig(workspace, "members")) if isinstance(m, str)]
        excluded = [m for m in listing(dig(workspace, "exclude")) if isinstance(m, str)]
        if in_workspace(below, members) and not in_workspace(below, excluded):
            return tree.first(directory, "uv.lock") or pyproject
    return None


def _pyproject_managers(project: Project, path: str, data: dict[str, Any]) -> None:
    """Managers whose own settings the pyproject holds. A build backend (pdm-backend,
    poetry-core, hatchling) says how the package is built, not how it is developed."""
    tool = mapping(dig(data, "tool"))
    poetry = mapping(tool.get("poetry"))
    pdm = mapping(tool.get("pdm"))
    if "uv" in tool:
        project.package_manager("uv", path)
    if any(key in poetry for key in _POETRY_MANAGER_KEYS):
        project.package_manager("poetry", path)
    if any(key in pdm for key in _PDM_MANAGER_KEYS):
        project.package_manager("pdm", path)
    if isinstance(dig(tool, "hatch", "envs"), dict):
        project.package_manager("hatch", path)


def _runtimes(project: Project, pyproject_path: str | None, data: dict[str, Any]) -> None:
    if pyproject_path:
        project.runtime_at("python", data, pyproject_path, "project", "requires-python")
        project.runtime_at(
            "python", data, pyproject_path, "tool", "poetry", "dependencies", "python"
        )
    setup_py = project.file("setup.py")
    if setup_py is not None:
        match = _SETUP_PY_REQUIRES.search(project.tree.read_text(setup_py) or "")
        if match:
            project.runtime("python", match.group(1), setup_py, "python_requires")
    setup_cfg = project.file("setup.cfg")
    if setup_cfg is not None:
        text = project.tree.read_text(setup_cfg) or ""
        value = _cfg_option(text, "options", "python_requires")
        if value:
            project.runtime("python", value, setup_cfg, "options.python_requires")
    runtime_txt = project.file("runtime.txt")
    if runtime_txt is not None:
        value = (project.tree.read_text(runtime_txt) or "").strip()
        if value.startswith("python-"):
            project.runtime("python", value.removeprefix("python-"), runtime_txt)


def _tests(project: Project, pyproject_path: str | None, data: dict[str, Any], deps: Deps) -> None:
    tree = project.tree
    project.declared(deps, tests=TEST_DEPS)
    if pyproject_path and dig(data, "tool", "pytest") is not None:
        project.test_framework("pytest", pyproject_path, configured=True)
    # (file, text it must contain, whether it configures pytest or only runs it)
    for name, marker, configures in (
        ("pytest.ini", None, True),
        ("conftest.py", None, True),
        ("setup.cfg", "[tool:pytest]", True),
        ("tox.ini", "pytest", False),
        ("noxfile.py", "pytest", False),
    ):
        path = project.file(name)
        if path is not None and (marker is None or marker in (tree.read_text(path) or "")):
            project.test_framework("pytest", path, configured=configures)
    files = _test_files(project)
    for path in files + _test_helpers(project):
        if _TEST_CASE.search(tree.read_text(path) or ""):
            project.test_framework("unittest", path)
            break
    manage = project.file("manage.py")
    if manage is not None and "django" in (tree.read_text(manage) or ""):
        # Django's runner (unittest underneath) collects the apps' tests.py modules too
        if not project.has_test("pytest") or _django_runs_its_tests(project):
            project.test_framework("unittest", manage)
            project.command("test", "python manage.py test", manage)
    if files and not project.sub.test_frameworks:
        # test files and no runner declared: pytest collects plain test_* functions
        project.test_framework("pytest", files[0])


def _test_files(project: Project) -> list[str]:
    found: list[str] = []
    for entry in project.tree.under(project.path):
        name = entry.name
        if name.endswith(".py") and (
            name.startswith("test_") or name.endswith("_test.py") or name == "tests.py"
        ):
            found.append(entry.path)
            if len(found) >= 50:
                break
    return found


def _test_helpers(project: Project) -> list[str]:
    """Other modules of the test folders, where a suite's TestCase base class may live
    (black's tests/util.py)."""
    found: list[str] = []
    for entry in project.tree.under(project.path):
        if entry.name.endswith(".py") and _TEST_FOLDER.search(entry.parent):
            if not entry.name.startswith("test_") and entry.name != "__init__.py":
                found.append(entry.path)
                if len(found) >= 20:
                    break
    return found


def _uv_runner(project: Project) -> str | None:
    """The task file or workflow that installs or runs the project with uv, if one does."""
    tree = project.tree
    paths = [project.file(name) for name in _TASK_FILES]
    paths += [e.path for e in tree.under(".github/workflows")]
    for path in paths:
        text = tree.read_text(path) if path is not None else None
        if not text:
            continue
        if _UV_USE.search(text) or ("astral-sh/setup-uv" in text and not _UV_PIP.search(text)):
            return path
    return None


def _django_runs_its_tests(project: Project) -> bool:
    """Whether the project's own task files or CI run `manage.py test`."""
    tree = project.tree
    for name in ("Makefile", "tox.ini", "noxfile.py", "justfile", "package.json"):
        path = project.file(name)
        if path is not None and _MANAGE_TEST.search(tree.read_text(path) or ""):
            return True
    workflows = tree.under(".github/workflows")
    return any(_MANAGE_TEST.search(tree.read_text(e.path) or "") for e in workflows)


def _tools(project: Project, pyproject_path: str | None, data: dict[str, Any], deps: Deps) -> None:
    tree = project.tree
    if pyproject_path:
        tool = mapping(dig(data, "tool"))
        for section, name in TOOL_SECTIONS.items():
            if section in tool:
                project.tool(name, pyproject_path, configured=True)
    for filename, name in TOOL_FILES.items():
        path = project.file(filename)
        if path is not None:
            project.tool(name, path, configured=True)
    for filename in ("setup.cfg", "tox.ini"):
        path = project.file(filename)
        if path is None:
            continue
        text = tree.read_text(path) or ""
        for section, name in (("[flake8]", "flake8"), ("[mypy]", "mypy"), ("[isort]", "isort")):
            if section in text:
                project.tool(name, path, configured=True)
    project.declared(deps, tools=TOOL_DEPS)
    _mypy_targets(project, data)


def _mypy_targets(project: Project, data: dict[str, Any]) -> None:
    """What mypy's configuration names for it to check: `files`, `packages`, `modules`."""
    index = next((i for i, f in enumerate(project.sub.tools) if f.name == "mypy"), None)
    if index is None or not project.sub.tools[index].configured:
        return
    fact = project.sub.tools[index]
    values: dict[str, Any] = {}
    if fact.source.endswith("pyproject.toml"):
        values = mapping(dig(data, "tool", "mypy"))
    else:
        import configparser  # here: only a mypy.ini or setup.cfg section needs it

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(project.tree.read_text(fact.source) or "")
        except configparser.Error:
            return
        if parser.has_section("mypy"):
            values = dict(parser.items("mypy"))
    targets: list[str] = []
    for key, flag in (("files", ""), ("packages", "-p "), ("modules", "-m ")):
        value = values.get(key)
        items = value.replace("\n", ",").split(",") if isinstance(value, str) else value
        if isinstance(items, list):
            targets += [flag + s.strip() for s in items if isinstance(s, str) and s.strip()]
    if targets:
        project.sub.tools[index] = msgspec.structs.replace(fact, targets=tuple(targets))


def _scripts(project: Project, pyproject_path: str | None, data: dict[str, Any]) -> None:
    if not pyproject_path:
        return
    for table, runner in (("poe", "poe"), ("pdm", "pdm run")):
        tasks = dig(data, "tool", table, "tasks" if table == "poe" else "scripts")
        if not isinstance(tasks, dict):
            continue
        for name in tasks:
            purpose = {"test": "test", "lint": "lint", "typecheck": "typecheck"}.get(name)
            purpose = purpose or {"format": "format", "fmt": "format", "build": "build"}.get(name)
            if purpose:
                project.command(purpose, f"{runner} {name}", pyproject_path)


def _groups(project: Project, declared: dict[str, list[str]]) -> None:
    """Say, on each tool and test framework, which dependency declarations list it."""
    for facts in (project.sub.tools, project.sub.test_frameworks, project.sub.test_containers):
        for index, fact in enumerate(facts):
            name = _PACKAGE_OF.get(fact.name, fact.name)  # "poe" is the poethepoet package
            if declared.get(name):
                groups = tuple(dict.fromkeys(declared[name]))
                facts[index] = msgspec.structs.replace(fact, groups=groups)


def _declarations(
    project: Project, data: dict[str, Any], requirements: list[str]
) -> dict[str, list[str]]:
    """Dependency name -> the declarations listing it (see `Fact.groups`)."""
    found: dict[str, list[str]] = {}

    def add(group: str, specs: Any) -> None:
        names: list[str] = []
        if isinstance(specs, list):
            parsed = (parse_requirement(s) for s in specs if isinstance(s, str))
            names = [p[0] for p in parsed if p is not None]
        elif isinstance(specs, dict):
            names = [normalize(str(name)) for name in specs]
        for name in names:
            found.setdefault(name, []).append(group)

    add("project", _project_dependencies(data))
    _itself(found, dig(data, "project", "name"))
    for name, specs in mapping(dig(data, "project", "optional-dependencies")).items():
        add(f"extra:{name}", specs)
    groups = mapping(dig(data, "dependency-groups"))
    for name in groups:
        for member in _included(groups, str(name), set()):
            add(f"group:{name}", groups[member])
    add("group:dev", dig(data, "tool", "uv", "dev-dependencies"))
    poetry = mapping(dig(data, "tool", "poetry"))
    add("project", dig(poetry, "dependencies"))
    add("group:dev", dig(poetry, "dev-dependencies"))
    for name, group in mapping(dig(poetry, "group")).items():
        kind = "extra" if dig(group, "optional") is True else "group"
        add(f"{kind}:{name}", dig(group, "dependencies"))
    for name, specs in mapping(dig(data, "tool", "pdm", "dev-dependencies")).items():
        add(f"group:{name}", specs)
    for path in requirements:
        add(path, _requirement_lines(project, path))
    pipfile = project.file("Pipfile")
    if pipfile is not None:
        pipfile_data = load_toml(project.tree, pipfile)
        add("project", pipfile_data.get("packages"))
        add("group:dev", pipfile_data.get("dev-packages"))
    return found


_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s+|=)(\S+)")


def _requirement_lines(project: Project, path: str, depth: int = 0) -> list[str]:
    """A requirements file's lines with those of the files it includes (`-r
    test-cibuildwheel.txt`, relative to it): yarl's test.txt brings pytest that way."""
    lines: list[str] = []
    for line in (project.tree.read_text(path) or "").splitlines():
        found = _INCLUDE.match(line.strip())
        if found is None:
            lines.append(line)
        elif depth < 5:
            included = posixpath.normpath(posixpath.join(posixpath.dirname(path), found.group(1)))
            lines += _requirement_lines(project, included, depth + 1)
    return lines


def _itself(found: dict[str, list[str]], name: Any) -> None:
    """The package declares itself: black's repository checks itself with the black it
    is, which installing the package brings."""
    if isinstance(name, str) and name.strip():
        found.setdefault(normalize(name), []).append("project")


def _included(groups: dict[str, Any], name: str, seen: set[str]) -> list[str]:
    """A PEP 735 group and the groups it includes, transitively."""
    if name in seen or name not in groups:
        return []
    seen.add(name)
    members = [name]
    specs = groups[name]
    for item in specs if isinstance(specs, list) else []:
        included = dig(item, "include-group")
        if isinstance(included, str):
            members += _included(groups, included, seen)
    return members
