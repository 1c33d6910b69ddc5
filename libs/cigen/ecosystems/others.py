"""JVM (Maven, Gradle), Ruby (Bundler), PHP (Composer), .NET and Elixir (Mix)."""

from __future__ import annotations

import re

import msgspec

from libs.cigen import versions
from libs.cigen.ecosystems.common import Draft, assemble, step
from libs.cigen.plan import Job, Purpose, Runtime, Step

# net8.0, net9.0-windows, netcoreapp3.1: .NET (Core) target frameworks with an SDK line.
_TFM = re.compile(r"\bnet(?:coreapp)?(\d+)\.(\d+)")


def plan_java(draft: Draft) -> Job:
    gradle = "gradle" in draft.managers()
    tools = draft.tools()
    defaults: list[Step] = []
    if gradle:
        gradle_cmd = "./gradlew" if _wrapper(draft, "gradle", "gradlew") else "gradle"
        if "spotless" in tools:
            defaults.append(step("format", f"{gradle_cmd} spotlessCheck"))
        defaults.append(step("test", f"{gradle_cmd} check", name="Test and check"))
        defaults.append(step("build", f"{gradle_cmd} assemble"))
        lockfiles = draft.lockfiles("gradle.lockfile") or draft.manifest_paths(
            "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"
        )
    else:
        mvn = "./mvnw" if _wrapper(draft, "maven", "mvnw") else "mvn"
        flags = "--batch-mode --no-transfer-progress"
        if "spotless" in tools:
            defaults.append(step("format", f"{mvn} {flags} spotless:check"))
        if "checkstyle" in tools:
            defaults.append(step("lint", f"{mvn} {flags} checkstyle:check"))
        defaults.append(step("test", f"{mvn} {flags} verify", name="Build and test"))
        lockfiles = draft.manifest_paths("pom.xml")
    return Job(
        id="",
        name="",
        ecosystem="java",
        runtime=draft.runtime("java", distribution="temurin"),
        manager="gradle" if gradle else "maven",
        lockfiles=lockfiles,
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )


def _wrapper(draft: Draft, manager: str, name: str) -> bool:
    sources = [f.source for f in draft.manager_facts(manager)] + list(draft.sub.manifests)
    return any(p.rsplit("/", 1)[-1] == name for p in sources)


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
        runtime=draft.runtime("ruby"),
        manager="bundler",
        lockfiles=draft.lockfiles("Gemfile.lock"),
        env=env,
        steps=assemble(draft, defaults),
        timeout_minutes=20,
    )


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
    return Job(
        id="",
        name="",
        ecosystem="dotnet",
        runtime=_dotnet_runtime(draft),
        manager="nuget",
        lockfiles=lockfiles,
        env={"DOTNET_NOLOGO": "true", "DOTNET_CLI_TELEMETRY_OPTOUT": "true"},
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )


def _dotnet_runtime(draft: Draft) -> Runtime:
    """global.json pins the SDK; otherwise the SDKs of the target frameworks, newest first
    (the newest builds every target; the others let tests run on each)."""
    pinned = [r for r in draft.sub.runtimes if r.runtime == "dotnet" and r.field == "sdk.version"]
    if pinned:
        return draft.runtime("dotnet")
    sdks: set[tuple[int, int]] = set()
    for declared in draft.sub.runtimes:
        if declared.runtime == "dotnet" and declared.field in (
            "TargetFramework",
            "TargetFrameworks",
        ):
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
    if tools & {"mix-format", "formatter", "mix format"}:
        defaults.append(step("format", "mix format --check-formatted"))
    if "credo" in tools:
        defaults.append(step("lint", "mix credo --strict"))
    if "dialyzer" in tools or "dialyxir" in tools:
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
