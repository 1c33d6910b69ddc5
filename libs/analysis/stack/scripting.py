"""Ruby (Bundler), PHP (Composer), Elixir (Mix) and .NET (NuGet)."""

from __future__ import annotations

import re

from libs.analysis.parsing import listing, mapping
from libs.analysis.report import Purpose, Task
from libs.analysis.stack import gemfile_lock
from libs.analysis.stack.model import Project, as_str, dig, load_json, load_yaml, parse_xml
from libs.analysis.stack.tasks import MAX_TASKS, script_lines

RUBY_FRAMEWORKS = {
    "rails": "Rails",
    "sinatra": "Sinatra",
    "hanami": "Hanami",
    "roda": "Roda",
    "grape": "Grape",
    "jekyll": "Jekyll",
    "github-pages": "Jekyll",  # GitHub Pages' pinned Jekyll and plugins
}
RUBY_TESTS = {
    "rspec": "rspec",
    "rspec-rails": "rspec",
    "minitest": "minitest",
    "cucumber": "cucumber",
    "html-proofer": "html-proofer",
}
RUBY_TOOLS = {
    "rubocop": "rubocop",
    "standard": "standard",
    "brakeman": "brakeman",
    "sorbet": "sorbet",
    "sorbet-static": "sorbet",
}
RUBY_CONFIGS = (
    (".rubocop.yml", "rubocop"),
    (".standard.yml", "standard"),
    ("sorbet/config", "sorbet"),
)
RUBY_SERVICES = {"pg": "postgres", "mysql2": "mysql", "redis": "redis", "mongoid": "mongodb"}
PHP_FRAMEWORKS = {
    "laravel/framework": "Laravel",
    "symfony/framework-bundle": "Symfony",
    "symfony/symfony": "Symfony",
    "slim/slim": "Slim",
    "cakephp/cakephp": "CakePHP",
    "yiisoft/yii2": "Yii",
    "codeigniter4/framework": "CodeIgniter",
    "laminas/laminas-mvc": "Laminas",
    "drupal/core": "Drupal",
}
PHP_TESTS = {
    "phpunit/phpunit": "phpunit",
    "pestphp/pest": "pest",
    "codeception/codeception": "codeception",
    "behat/behat": "behat",
}
PHP_TOOLS = {
    "phpstan/phpstan": "phpstan",
    "vimeo/psalm": "psalm",
    "friendsofphp/php-cs-fixer": "php-cs-fixer",
    "squizlabs/php_codesniffer": "phpcs",
    "laravel/pint": "pint",
    "rector/rector": "rector",
}
PHP_CONFIGS = (
    ("phpstan.neon", "phpstan"),
    ("phpstan.neon.dist", "phpstan"),
    ("psalm.xml", "psalm"),
    (".php-cs-fixer.php", "php-cs-fixer"),
    (".php-cs-fixer.dist.php", "php-cs-fixer"),
    ("phpcs.xml", "phpcs"),
    ("phpcs.xml.dist", "phpcs"),
    ("pint.json", "pint"),
)
COMPOSER_SCRIPTS: dict[str, Purpose] = {
    "test": "test",
    "lint": "lint",
    "analyse": "typecheck",
    "phpstan": "typecheck",
    "cs": "lint",
    "format": "format",
    "build": "build",
}
SBT_FRAMEWORKS = {
    "play": "Play",
    "akka-http": "Akka HTTP",
    "http4s-dsl": "http4s",
    "http4s-ember-server": "http4s",
    "zio-http": "ZIO HTTP",
    "spark-core": "Spark",
}
SBT_TESTS = {"scalatest": "scalatest", "munit": "munit", "specs2-core": "specs2"}
ELIXIR_FRAMEWORKS = {"phoenix": "Phoenix", "plug": "Plug", "nerves": "Nerves"}
ELIXIR_TOOLS = {"credo": "credo", "dialyxir": "dialyzer", "sobelow": "sobelow"}
ELIXIR_SERVICES = {"postgrex": "postgres", "myxql": "mysql", "redix": "redis"}
DOTNET_TESTS = {
    "xunit": "xunit",
    "xunit.v3": "xunit",
    "nunit": "nunit",
    "mstest.testframework": "mstest",
    "mstest": "mstest",
}
DOTNET_SERVICES = {
    "npgsql": "postgres",
    "npgsql.entityframeworkcore.postgresql": "postgres",
    "stackexchange.redis": "redis",
    "mongodb.driver": "mongodb",
    "mysql.data": "mysql",
    "microsoft.data.sqlclient": "sqlserver",
}
_GEM = re.compile(r"""^\s*gem\s+["']([\w.-]+)["'](?:\s*,\s*["']([^"']+)["'])?""", re.M)
_GEMSPEC_DEP = re.compile(
    r"""\.add_(runtime_|development_)?dependency[\s(]+["']([\w.-]+)["']"""
    r"""(?:\s*,\s*\[?\s*["']([^"']+)["'])?"""
)
_MINITEST = re.compile(r"""require\s*\(?\s*["']minitest|\bMinitest::(?:Test|Spec)\b""")
_CUCUMBER_RUNNER = re.compile(r"Cucumber::Rake::Task|\bcucumber\b")
_JEKYLL_CONFIG = re.compile(r"^(?:theme|remote_theme|plugins|gems|markdown|kramdown):", re.M)
_JEKYLL_FOLDERS = ("_layouts", "_includes", "_posts", "_sass", "_data")
_GEM_RUBY = re.compile(r"""^\s*ruby\s+["']([^"']+)["']""", re.M)
_MIX_DEP = re.compile(r"""\{\s*:(\w+)\s*,\s*"([^"]+)\"""")
_MIX_ELIXIR = re.compile(r"""elixir:\s*"([^"]+)\"""")
_PROJECT_FILE = (".csproj", ".fsproj", ".vbproj")


def detect_ruby(project: Project) -> None:
    path = project.adopt("Gemfile", "ruby", "bundler", "Gemfile.lock")
    if path is None:
        return
    text = project.tree.read_text(path) or ""
    deps = {m.group(1): (path, m.group(2)) for m in _GEM.finditer(text)}
    runtime = dict(deps)
    # a gem's own dependencies are in its gemspec (the Gemfile says `gemspec`)
    for entry in project.tree.in_dir(project.path):
        if entry.name.endswith(".gemspec"):
            spec = project.tree.read_text(entry.path) or ""
            for dep in _GEMSPEC_DEP.finditer(spec):
                found = (entry.path, dep.group(3))
                deps.setdefault(dep.group(2), found)
                if dep.group(1) != "development_":
                    runtime.setdefault(dep.group(2), found)
    match = _GEM_RUBY.search(text)
    if match:
        project.runtime("ruby", match.group(1), path, "ruby")
    lock = project.file("Gemfile.lock")
    if lock is not None:
        gemfile_lock.detect(project, lock)
    _gemspec(project)
    project.declared(runtime, frameworks=RUBY_FRAMEWORKS)
    project.declared(deps, tests=RUBY_TESTS, tools=RUBY_TOOLS, services=RUBY_SERVICES)
    project.configured(((".rspec", "rspec"),), test=True)
    _ruby_tests(project)
    project.configured(RUBY_CONFIGS)


def _ruby_tests(project: Project) -> None:
    """Test frameworks the test files and task files show: minitest required from any
    helper (rack's test/helper.rb), cucumber features run from a Rakefile or profile."""
    tree = project.tree
    names = {f.name for f in project.sub.test_frameworks}
    if "minitest" not in names:
        for path in _ruby_test_files(project):
            if _MINITEST.search(tree.read_text(path) or ""):
                project.test_framework("minitest", path)
                break
    features = tree.under(_join(project.path, "features"))
    if "cucumber" not in names and any(e.name.endswith(".feature") for e in features):
        for name in ("Rakefile", "cucumber.yml", ".cucumber.yml", "config/cucumber.yml"):
            runner = project.file(name)
            if runner is not None and _CUCUMBER_RUNNER.search(tree.read_text(runner) or ""):
                project.test_framework("cucumber", runner, configured=True)
                break


def _ruby_test_files(project: Project) -> list[str]:
    """Helpers first (test_helper.rb, helper.rb, spec_helper.rb), then a few test files."""
    files = [
        e.path
        for folder in ("test", "spec")
        for e in project.tree.under(_join(project.path, folder))
        if e.name.endswith(".rb")
    ]
    helpers = [p for p in files if "helper" in p.rsplit("/", 1)[-1]]
    return (helpers + [p for p in files if p not in helpers])[:30]


def detect_jekyll(project: Project) -> None:
    """A Jekyll site (GitHub Pages builds one from any repository with a _config.yml):
    its configuration plus Jekyll's own keys or folders. The gem, when declared, is
    found by detect_ruby."""
    config = project.file("_config.yml")
    if config is None or any(f.name == "Jekyll" for f in project.sub.frameworks):
        return
    text = project.tree.read_text(config) or ""
    folders = any(next(project.tree.under(_join(project.path, d)), None) for d in _JEKYLL_FOLDERS)
    if folders or _JEKYLL_CONFIG.search(text):
        project.manifest(config)
        project.framework("Jekyll", config)


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


_GEMSPEC_RUBY = re.compile(
    r"""required_ruby_version\s*=\s*(?:Gem::Requirement\.new\()?\s*\[?\s*((?:["'][^"']+["']\s*,?\s*)+)"""
)


def _gemspec(project: Project) -> None:
    """A gem's `required_ruby_version`: the Rubies the gem itself supports."""
    for entry in project.tree.in_dir(project.path):
        if entry.name.endswith(".gemspec"):
            text = project.tree.read_text(entry.path) or ""
            match = _GEMSPEC_RUBY.search(text)
            if match:
                version = ", ".join(re.findall(r"""["']([^"']+)["']""", match.group(1)))
                line = text.count("\n", 0, match.start()) + 1
                project.runtime("ruby", version, entry.path, "required_ruby_version", line=line)


def detect_php(project: Project) -> None:
    path = project.adopt("composer.json", "php", "composer", "composer.lock")
    if path is None:
        return
    data = load_json(project.tree, path)
    deps: dict[str, tuple[str, str | None]] = {}
    for key in ("require", "require-dev"):
        table = data.get(key)
        if isinstance(table, dict):
            for name, version in table.items():
                deps.setdefault(name.lower(), (path, as_str(version)))
    project.runtime_at("php", data, path, "require", "php")
    project.runtime_at("php", data, path, "config", "platform", "php")
    project.declared(deps, frameworks=PHP_FRAMEWORKS, tests=PHP_TESTS, tools=PHP_TOOLS)
    project.configured((("phpunit.xml", "phpunit"), ("phpunit.xml.dist", "phpunit")), test=True)
    project.configured(PHP_CONFIGS)
    _composer_scripts(project, path, data.get("scripts"))


def _composer_scripts(project: Project, path: str, scripts: object) -> None:
    if not isinstance(scripts, dict):
        return
    lines = script_lines(project.tree.read_text(path) or "", "scripts")
    for name in sorted(scripts)[:MAX_TASKS]:
        body = scripts[name]
        commands = (
            [body] if isinstance(body, str) else [c for c in listing(body) if isinstance(c, str)]
        )
        purpose = COMPOSER_SCRIPTS.get(name)
        run = f"composer run-script {name}"
        project.sub.tasks.append(
            Task(
                runner="composer",
                name=name,
                run=run,
                source=path,
                line=lines.get(name),
                purpose=purpose,
                commands=tuple(commands),
            )
        )
        if purpose:
            project.command(purpose, run, path)


def detect_elixir(project: Project) -> None:
    path = project.adopt("mix.exs", "elixir", "mix", "mix.lock")
    if path is None:
        return
    text = project.tree.read_text(path) or ""
    match = _MIX_ELIXIR.search(text)
    if match:
        project.runtime("elixir", match.group(1), path, "elixir")
    deps = {m.group(1): (path, m.group(2)) for m in _MIX_DEP.finditer(text)}
    project.declared(
        deps, frameworks=ELIXIR_FRAMEWORKS, tools=ELIXIR_TOOLS, services=ELIXIR_SERVICES
    )
    helper = project.file("test/test_helper.exs")
    if helper is not None:
        project.test_framework("exunit", helper)
    project.configured(((".formatter.exs", "mix format"), (".credo.exs", "credo")))


def detect_dotnet(project: Project, members: list[str]) -> None:
    """A folder with a solution or project file; `members` are folded-in project files."""
    own = [
        e.path
        for e in project.tree.in_dir(project.path)
        if e.name.endswith((".sln", ".slnx", *_PROJECT_FILE))
    ]
    files = own + [m for m in members if m not in own]
    if not files:
        return
    project.ecosystems.add("dotnet")
    for path in files:
        project.manifest(path)
    project.package_manager("nuget", files[0])
    for entry in project.tree.under(project.path):
        if entry.name == "packages.lock.json":
            project.lockfile(entry.path)
    props = project.file("Directory.Packages.props")
    if props is not None:
        project.manifest(props)
    for path in files:
        if path.endswith(_PROJECT_FILE):
            _project_file(project, path)
    build_props = project.file("Directory.Build.props")  # every project of the folder
    if build_props is not None:
        _project_file(project, build_props)
    tools = project.file(".config/dotnet-tools.json")
    if tools is not None:
        # a local tool manifest: each tool is installed and set up for `dotnet <tool>`
        for name in mapping(dig(load_json(project.tree, tools), "tools")):
            project.tool(str(name).lower(), tools, configured=True)


def _project_file(project: Project, path: str) -> None:
    root = parse_xml(project.tree, path)
    if root is None:
        return
    sdk = root.get("Sdk") or ""
    if sdk == "Microsoft.NET.Sdk.Web":
        project.framework("ASP.NET Core", path)
    for element in root.iter():
        tag = element.tag
        value = (element.text or "").strip()
        # `$(LibraryFrameworks)`: set from outside the file (a build argument), no version
        if tag in ("TargetFramework", "TargetFrameworks") and value and "$(" not in value:
            project.runtime("dotnet", value, path, tag)
        elif tag == "UseMaui" and value.lower() == "true":
            project.framework("MAUI", path)
        elif tag in ("UseWPF", "UseWindowsForms") and value.lower() == "true":
            project.framework("WPF" if tag == "UseWPF" else "Windows Forms", path)
        elif tag == "PackageReference":
            _package(project, path, element.get("Include") or "", element.get("Version"))


def _package(project: Project, path: str, name: str, version: str | None) -> None:
    lowered = name.lower()
    if lowered.startswith("microsoft.aspnetcore.components.webassembly"):
        project.framework("Blazor", path, version)
    elif lowered.startswith("microsoft.aspnetcore."):
        project.framework("ASP.NET Core", path, version)
    test = DOTNET_TESTS.get(lowered)
    if test:
        project.test_framework(test, path, version)
    service = DOTNET_SERVICES.get(lowered)
    if service:
        project.service(service, path)
    if lowered == "stylecop.analyzers":
        project.tool("stylecop", path, version)
    if lowered in _GIT_VERSIONERS and project.sub.version_from_git is None:
        project.sub.version_from_git = f"{path} ({name})"


# packages that take the assembly's version from git tags (AutoMapper's MinVer): a
# one-commit clone builds 0.0.0-preview.0
_GIT_VERSIONERS = frozenset({"minver", "gitversion.msbuild", "nerdbank.gitversioning"})


def detect_dart(project: Project) -> None:
    path = project.adopt("pubspec.yaml", "dart", "pub", "pubspec.lock")
    if path is None:
        return
    data = mapping(load_yaml(project.tree, path))
    deps = {**mapping(data.get("dependencies")), **mapping(data.get("dev_dependencies"))}
    if "flutter" in deps:
        project.framework("Flutter", path)
        project.package_manager("flutter", path)
    for name, label in (("flutter_test", "flutter test"), ("test", "dart test")):
        if name in deps:
            project.test_framework(label, path)
    project.runtime_at("dart", data, path, "environment", "sdk")
    project.runtime_at("flutter", data, path, "environment", "flutter")
    project.configured((("analysis_options.yaml", "dart analyze"),))


_SBT_DEP = re.compile(r'"([\w.-]+)"\s*%%?\s*"([\w.-]+)"\s*%\s*"([^"]+)"')
_SBT_SCALA = re.compile(r'scalaVersion\s*:=\s*"([^"]+)"')


def detect_sbt(project: Project) -> None:
    path = project.adopt("build.sbt", "scala", "sbt")
    if path is None:
        return
    text = project.tree.read_text(path) or ""
    match = _SBT_SCALA.search(text)
    if match:
        project.runtime("scala", match.group(1), path, "scalaVersion")
    properties = project.file("project/build.properties")
    if properties is not None:
        found = re.search(r"sbt\.version\s*=\s*(\S+)", project.tree.read_text(properties) or "")
        if found:
            project.runtime("sbt", found.group(1), properties, "sbt.version")
    deps = {m.group(2): (path, m.group(3)) for m in _SBT_DEP.finditer(text)}
    project.declared(deps, frameworks=SBT_FRAMEWORKS, tests=SBT_TESTS)
    project.configured(((".scalafmt.conf", "scalafmt"), (".scalafix.conf", "scalafix")))
