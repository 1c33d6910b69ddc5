"""The stack analyser: languages, and per subproject its managers, frameworks, tests, runtimes."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection

from libs.analysis import languages, origin
from libs.analysis.ci.commands import dockerfile_apt_packages
from libs.analysis.parsing import listing
from libs.analysis.report import Fact, ImageBuild, Stack, Subproject
from libs.analysis.stack import (
    compiled,
    doc_commands,
    gemfile_lock,
    jvm,
    lockfiles,
    node,
    python,
    python_scripts,
    scripting,
    tasks,
    tox_envs,
    versions,
)
from libs.analysis.stack.layout import (
    Folder,
    discover,
    in_workspace,
    relative,
    workspace_patterns,
)
from libs.analysis.stack.model import (
    Project,
    as_str,
    dig,
    load_yaml,
)
from libs.analysis.tree import FileEntry, Tree, parent_dirs

Detector = Callable[[Project], None]
DETECTORS: tuple[Detector, ...] = (
    python.detect,
    node.detect,
    jvm.detect,
    compiled.detect_go,
    compiled.detect_rust,
    compiled.detect_swift,
    scripting.detect_ruby,
    scripting.detect_php,
    scripting.detect_elixir,
    scripting.detect_dart,
    scripting.detect_sbt,
    scripting.detect_jekyll,
)
_PRE_COMMIT_CI = re.compile(r"^ci:", re.M)
_COMPOSE = re.compile(r"^(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$")
HOOK_RUNNERS = (
    (".pre-commit-config.yaml", "pre-commit"),
    ("prek.toml", "prek"),
    ("lefthook.yml", "lefthook"),
    ("lefthook.yaml", "lefthook"),
    (".lefthook.yml", "lefthook"),
)
SERVICE_IMAGES = {
    "postgres": "postgres",
    "postgis/postgis": "postgres",
    "timescale/timescaledb": "postgres",
    "redis": "redis",
    "valkey/valkey": "redis",
    "bitnami/redis": "redis",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "mongo": "mongodb",
    "rabbitmq": "rabbitmq",
    "elasticsearch": "elasticsearch",
    "docker.elastic.co/elasticsearch/elasticsearch": "elasticsearch",
    "opensearchproject/opensearch": "opensearch",
    "confluentinc/cp-kafka": "kafka",
    "bitnami/kafka": "kafka",
    "apache/kafka": "kafka",
    "memcached": "memcached",
    "minio/minio": "minio",
    "localstack/localstack": "localstack",
    "nats": "nats",
    "cassandra": "cassandra",
    "clickhouse/clickhouse-server": "clickhouse",
    "mcr.microsoft.com/mssql/server": "sqlserver",
}


def analyse_stack(tree: Tree) -> Stack:
    """Languages of the whole tree and one Subproject per folder with its own manifest."""
    folders = discover(tree)
    projects = [_project(tree, folder) for folder in folders]
    not_own = origin.not_own(tree, [folder.path for folder in folders])
    if not projects and any(languages.language_of(e) for e in tree.files if e.path not in not_own):
        # code without a manifest is still one project, whose detectors may find more
        # (a requirements/ folder, a manage.py, a vendored test harness)
        projects = [_project(tree, Folder("."))]
    owners = {p.path for p in projects}
    _workspaces(tree, projects)
    dockerfiles = [e.path for e in tree.files if _is_dockerfile(e)]
    compose_files = [e.path for e in tree.files if _COMPOSE.match(e.name) and _counted(e)]
    files_of: dict[str | None, list[FileEntry]] = {}
    for entry in tree.files:  # each file to the nearest subproject above it, once
        files_of.setdefault(_owner(entry.path, owners), []).append(entry)
    for project in projects:
        own = files_of.get(project.path, [])
        project.sub.languages = languages.shares(own, not_own, project.path)
        project.sub.dockerfiles = [e.path for e in own if _is_dockerfile(e)]
        project.sub.system_packages = [
            Fact(name=name, source=path)
            for path in project.sub.dockerfiles
            for name in dict.fromkeys(dockerfile_apt_packages(tree.read_text(path) or ""))
        ]
    builds: list[ImageBuild] = []
    for path in compose_files:
        owner = _owner(path, owners)
        for project in projects:
            if project.path == owner:
                _compose_services(project, path)
        builds += compose_builds(tree, path)
    # git hook runners, configured at the repository root: pre-commit, prek (which also
    # reads .pre-commit-config.yaml), lefthook; husky is a package.json dependency
    for name, tool in HOOK_RUNNERS:
        config = tree.get(name)
        if config is None:
            continue
        # pre-commit.ci, configured by a top-level `ci:` section, runs the hooks on every
        # pull request: evidence the tree passes them
        service = tool == "pre-commit" and _PRE_COMMIT_CI.search(tree.read_text(name) or "")
        hooks = _hook_ids(tree, name) if tool == "pre-commit" else ()
        for project in projects:
            if project.path == _owner(config.path, owners):
                project.tool(tool, config.path, configured=True, targets=hooks)
                if service:
                    project.tool("pre-commit.ci", config.path, configured=True)
    # a documentation site in a folder of its own is documentation, as docs/ is
    sites = [p.path for p in projects if p.docs_site]
    return Stack(
        languages=languages.shares(tree.files, not_own, docs=sites),
        subprojects=[_finish(p) for p in projects],
        dockerfiles=dockerfiles,
        compose_files=compose_files,
        image_builds=list(dict.fromkeys(builds)),
        submodules=any(e.path == ".gitmodules" for e in tree.files),
    )


def _project(tree: Tree, folder: Folder) -> Project:
    project = Project(folder.path, tree)
    for detect in DETECTORS:
        detect(project)
    compiled.detect_native(project)
    for directory in sorted({path.rpartition("/")[0] for path in folder.folded}):
        module = project.view(directory)
        jvm.detect(module)
        compiled.detect_native(module)
    for path in folder.folded:
        project.manifest(path)
    scripting.detect_dotnet(project, folder.dotnet)
    versions.detect(project)
    tasks.detect(project)
    tox_envs.detect(project)
    python_scripts.detect(project)
    doc_commands.detect(project)
    lockfiles.detect(project)
    gemfile_lock.detect_rails_ruby(project)
    versions.detect_base_images(project)
    return project


def _finish(project: Project) -> Subproject:
    sub = project.sub
    sub.workspace_root = project.workspace_root
    return sub


def _owner(path: str, owners: Collection[str]) -> str | None:
    """The nearest subproject folder enclosing `path`."""
    parent = path.rpartition("/")[0] or "."
    for directory in parent_dirs(parent):
        if directory in owners:
            return directory
    return None


def _is_dockerfile(entry: FileEntry) -> bool:
    """A Dockerfile of the project's; not one in a project template's folder
    (`{{cookiecutter.name}}/Dockerfile`), which is rendered before it is built."""
    template = "{{" in entry.path or "{%" in entry.path
    return versions.DOCKERFILE.match(entry.name) is not None and not template and _counted(entry)


def _counted(entry: FileEntry) -> bool:
    return not languages.is_vendored(entry.path)


def _compose_services(project: Project, path: str) -> None:
    data = load_yaml(project.tree, path)
    services = dig(data, "services")
    if not isinstance(services, dict):
        return
    for spec in services.values():
        image = as_str(dig(spec, "image"))
        if not image:
            continue
        name, _, tag = image.partition("@")[0].rpartition(":") if ":" in image else (image, "", "")
        if "/" in tag:  # a registry port, not a tag
            name, tag = image, ""
        base = name.removeprefix("docker.io/").removeprefix("library/")
        label = SERVICE_IMAGES.get(base)
        if label is not None:
            project.service(label, path, tag or None)


def compose_builds(tree: Tree, path: str) -> list[ImageBuild]:
    """The images a compose file builds, with their contexts, for Dockerfiles the tree has
    (`build: dir` or `build: {context, dockerfile}`, relative to the compose file)."""
    services = dig(load_yaml(tree, path), "services")
    if not isinstance(services, dict):
        return []
    base = path.rpartition("/")[0]
    found: list[ImageBuild] = []
    for spec in services.values():
        build = dig(spec, "build")
        context = as_str(build) if isinstance(build, str) else as_str(dig(build, "context"))
        dockerfile = as_str(dig(build, "dockerfile")) if isinstance(build, dict) else None
        if build is None or (context is not None and "://" in context):
            continue  # no build, or a remote (git/URL) context
        context_dir = posixpath.normpath(posixpath.join(base, context or "."))
        file = posixpath.normpath(posixpath.join(context_dir, dockerfile or "Dockerfile"))
        if context_dir.startswith("..") or tree.get(file) is None:
            continue
        found.append(ImageBuild(dockerfile=file, context=context_dir, source=path))
    return found


def _workspaces(tree: Tree, projects: list[Project]) -> None:
    """Mark packages of an npm/yarn/pnpm, Cargo, Go or uv workspace with its root folder."""
    by_path = {p.path: p for p in projects}
    for root in projects:
        patterns = workspace_patterns(tree, root.path)
        if not patterns:
            continue
        for project in projects:
            if project is root or project.workspace_root is not None:
                continue
            below = relative(project.path, root.path)
            if below and in_workspace(below, patterns):
                by_path[project.path].workspace_root = root.path


def _hook_ids(tree: Tree, path: str) -> tuple[str, ...]:
    """The ids of the hooks a pre-commit configuration runs (`ruff-check`, `flake8`), and
    the commands its local hooks run (arq's `make mypy`): where the hooks are enforced,
    they show which tools and commands the tree passes."""
    config = load_yaml(tree, path)
    # pre-commit.ci leaves out the hooks its `ci: skip:` names
    skipped = {s for s in listing(dig(config, "ci", "skip")) if isinstance(s, str)}
    ids = []
    for repo in listing(dig(config, "repos")):
        local = dig(repo, "repo") == "local"
        for hook in listing(dig(repo, "hooks")):
            if dig(hook, "id") in skipped:
                continue
            for key in ("id", "entry") if local else ("id",):
                value = dig(hook, key)
                if isinstance(value, str) and value.strip():
                    ids.append(value.strip())
    return tuple(dict.fromkeys(ids))
