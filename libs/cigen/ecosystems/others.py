"""Ruby (Bundler), PHP (Composer), .NET and Elixir (Mix)."""

from __future__ import annotations

import re

import msgspec

from libs.cigen import versions
from libs.cigen.ecosystems.common import Draft, assemble, step
from libs.cigen.plan import Job, Purpose, Runtime, Step

# the newest Ruby each Rails series supports, for Gemfile.lock's locked Rails
_RAILS_RUBY = {
    "4.2": "2.4",
    "5.0": "2.6",
    "5.1": "2.6",
    "5.2": "2.7",
    "6.0": "2.7",
    "6.1": "3.0",
    "7.0": "3.2",
    "7.1": "3.3",
}
_RAILS = re.compile(r"^rails \(([\d.]+)\)")
LARAVEL_ENV = "[ -f .env ] || cp .env.example .env || touch .env"
# net8.0, net9.0-windows, netcoreapp3.1: .NET (Core) target frameworks with an SDK line.
_TFM = re.compile(r"\bnet(?:coreapp)?(\d+)\.(\d+)")
_TARGET_FIELDS = ("TargetFramework", "TargetFrameworks")
_NETFX = re.compile(r"\bnet[1-4]\d{1,2}\b")


def plan_ruby(draft: Draft) -> Job:
    tools, tests = draft.tools(), draft.tests()
    defaults: list[Step] = [step("install", "bundle install")]
    if "rubocop" in tools:
        defaults.append(step("lint", "bundle exec rubocop"))
    if "standard" in tools:
        defaults.append(step("lint", "bundle exec standardrb"))
    if "sorbet" in tools:
        defaults.append(step("typecheck", "bundle exec srb tc"))
    if "rspec" in tests:
        defaults.append(step("test", "bundle exec rspec"))
    elif "minitest" in tests and "rails" in draft.frameworks():
        defaults.append(step("test", "bin/rails test"))
    elif "minitest" in tests:
        defaults.append(step("test", "bundle exec rake test"))
    env = {"BUNDLE_FROZEN": "true"} if draft.lockfiles("Gemfile.lock") else {}
    if "rails" in draft.frameworks():
        env["RAILS_ENV"] = "test"
    return Job(
        id="",
        name="",
        ecosystem="ruby",
        runtime=_ruby_for_rails(draft),
        manager="bundler",
        lockfiles=draft.lockfiles("Gemfile.lock"),
        env=env,
        steps=assemble(draft, defaults),
        timeout_minutes=20,
    )


def _ruby_for_rails(draft: Draft) -> Runtime:
    """An old Rails locked in Gemfile.lock does not boot on a new Ruby (Rails 6.1 stops at
    3.0): without an exact Ruby declared, the newest Ruby the locked Rails supports."""
    runtime = draft.runtime("ruby")
    exact = [r for r in draft.sub.runtimes if r.runtime == "ruby" and r.constraint == "exact"]
    rails = next((m for r in draft.sub.runtimes if (m := _RAILS.search(r.field or ""))), None)
    if exact or rails is None:
        return runtime
    newest = _RAILS_RUBY.get(".".join(rails.group(1).split(".")[:2]))
    if newest is None or not any(_newer(v, newest) for v in runtime.versions):
        return runtime
    draft.notes.append(
        f"{draft.where()}: Ruby {newest}: the locked Rails {rails.group(1)} does not run on "
        "newer Ruby"
    )
    return msgspec.structs.replace(runtime, versions=(newest,))


def _newer(version: str, than: str) -> bool:
    """Whether a Ruby version's series is newer than `than` ("3.4.1" than "3.0")."""
    try:
        return tuple(map(int, version.split(".")[:2])) > tuple(map(int, than.split(".")))
    except ValueError:
        return False


def plan_php(draft: Draft) -> Job:
    tools, tests = draft.tools(), draft.tests()
    defaults: list[Step] = [
        step("install", "composer install --no-interaction --no-progress --prefer-dist")
    ]
    checks: dict[str, tuple[Purpose, str]] = {
        "php-cs-fixer": ("format", "vendor/bin/php-cs-fixer fix --dry-run --diff"),
        "pint": ("format", "vendor/bin/pint --test"),
        "phpcs": ("lint", "vendor/bin/phpcs"),
        "phpstan": ("typecheck", "vendor/bin/phpstan analyse --no-progress"),
        "psalm": ("typecheck", "vendor/bin/psalm --no-progress"),
    }
    for tool, (purpose, command) in checks.items():
        if tool in tools:
            defaults.append(step(purpose, command))
    if "laravel" in draft.frameworks():
        # Laravel boots from .env and refuses to encrypt without an application key
        defaults += [
            step("install", LARAVEL_ENV, name="Create .env from .env.example"),
            step("install", "php artisan key:generate", name="Generate the application key"),
        ]
    if "pest" in tests:
        defaults.append(step("test", "vendor/bin/pest"))
    elif "phpunit" in tests:
        defaults.append(step("test", "vendor/bin/phpunit"))
    return Job(
        id="",
        name="",
        ecosystem="php",
        runtime=draft.runtime("php"),
        manager="composer",
        lockfiles=draft.lockfiles("composer.lock") or draft.manifest_paths("composer.json"),
        steps=assemble(draft, defaults),
        timeout_minutes=20,
    )


def plan_dotnet(draft: Draft) -> Job:
    lockfiles = draft.lockfiles("packages.lock.json")
    defaults: list[Step] = [
        step("install", "dotnet restore --locked-mode" if lockfiles else "dotnet restore")
    ]
    if "dotnet-format" in draft.tools():
        defaults.append(step("format", "dotnet format --verify-no-changes --no-restore"))
    defaults.append(step("build", "dotnet build --no-restore --configuration Release"))
    if draft.tests():
        defaults.append(step("test", "dotnet test --no-build --configuration Release"))
    framework = sorted(_framework_targets(draft))
    windows_ci = bool(draft.ci_os) and all(label.startswith("windows") for label in draft.ci_os)
    if framework:
        draft.notes.append(
            f"{draft.where()}: runs on Windows: the .NET Framework targets "
            f"({', '.join(framework)}) build and test only there"
        )
    elif windows_ci:
        # AutoMapper's build runs a shell script that is not executable, and its
        # integration tests need SQL Server LocalDB: its CI runs on windows-latest
        draft.notes.append(
            f"{draft.where()}: runs on Windows, as every job of the repository's CI does "
            f"({', '.join(draft.ci_os)})"
        )
    return Job(
        id="",
        name="",
        ecosystem="dotnet",
        os="windows" if framework or windows_ci else "linux",
        runtime=_dotnet_runtime(draft),
        manager="nuget",
        lockfiles=lockfiles,
        env={"DOTNET_NOLOGO": "true", "DOTNET_CLI_TELEMETRY_OPTOUT": "true"},
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )


def _framework_targets(draft: Draft) -> set[str]:
    """.NET Framework target monikers (net20...net481): Windows-only, unlike net5.0+."""
    found: set[str] = set()
    for declared in draft.sub.runtimes:
        if declared.runtime == "dotnet" and declared.field in _TARGET_FIELDS:
            found |= set(_NETFX.findall(declared.version))
    return found


def _dotnet_runtime(draft: Draft) -> Runtime:
    """global.json pins the SDK; otherwise the SDKs of the target frameworks, newest first
    (the newest builds every target; the others let tests run on each)."""
    pinned = [r for r in draft.sub.runtimes if r.runtime == "dotnet" and r.field == "sdk.version"]
    if pinned:
        return draft.runtime("dotnet")
    sdks: set[tuple[int, int]] = set()
    for declared in draft.sub.runtimes:
        if declared.runtime == "dotnet" and declared.field in _TARGET_FIELDS:
            sdks |= {(int(a), int(b)) for a, b in _TFM.findall(declared.version)}
    if not sdks:
        return draft.runtime("dotnet")
    ordered = [f"{a}.{b}.x" for a, b in sorted(sdks, reverse=True)]
    source = next(r.source for r in draft.sub.runtimes if r.runtime == "dotnet")
    options = {"also": " ".join(ordered[1:])} if len(ordered) > 1 else {}
    return Runtime(name="dotnet", versions=(ordered[0],), declared_in=source, options=options)


def plan_elixir(draft: Draft) -> Job:
    tools = draft.tools()
    elixir = draft.runtime("elixir")
    otp = versions.choose("otp", draft.sub.runtimes)
    if otp.declared is None:
        series = ".".join(elixir.versions[0].split(".")[:2])
        otp_version = versions.OTP_FOR_ELIXIR.get(series, versions.DEFAULTS["otp"])
    else:
        otp_version = otp.versions[0]
    defaults: list[Step] = [step("install", "mix deps.get")]
    if "mix format" in tools:
        defaults.append(step("format", "mix format --check-formatted"))
    if "credo" in tools:
        defaults.append(step("lint", "mix credo --strict"))
    if "dialyzer" in tools:
        defaults.append(step("typecheck", "mix dialyzer"))
    defaults += [
        step("build", "mix compile --warnings-as-errors"),
        step("test", "mix test"),
    ]
    return Job(
        id="",
        name="",
        ecosystem="elixir",
        runtime=msgspec.structs.replace(elixir, options={"otp": otp_version}),
        manager="mix",
        lockfiles=draft.lockfiles("mix.lock"),
        env={"MIX_ENV": "test"},
        steps=assemble(draft, defaults),
        timeout_minutes=20,
    )
