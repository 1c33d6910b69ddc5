"""Which job of a polyglot folder runs which repository command.

A folder with composer.json and package.json gets a PHP job and a Node job; each sets up
and installs only its own ecosystem, so `pnpm test` belongs in the Node job and
`composer run-script cs` in the PHP one, never the other way round. A command's family
comes from the file that defines it, else from the program it starts; commands of task
runners (make, just) belong to no ecosystem and run in the job of the folder's main
language.
"""

from __future__ import annotations

# ecosystem (plan.Ecosystem) -> family of ecosystems that share a toolchain and installs
FAMILY: dict[str, str] = {
    "python": "python",
    "node": "js",
    "bun": "js",
    "go": "go",
    "rust": "rust",
    "java": "jvm",
    "scala": "jvm",
    "ruby": "ruby",
    "php": "php",
    "dotnet": "dotnet",
    "elixir": "elixir",
    "swift": "swift",
    "dart": "dart",
    "flutter": "dart",
    "cmake": "c",
    "make": "c",
}
LABEL: dict[str, str] = {
    "python": "Python",
    "js": "JavaScript",
    "go": "Go",
    "rust": "Rust",
    "jvm": "JVM",
    "ruby": "Ruby",
    "php": "PHP",
    "dotnet": ".NET",
    "elixir": "Elixir",
    "swift": "Swift",
    "dart": "Dart",
    "c": "C/C++",
}
_SOURCES: dict[str, str] = {
    "package.json": "js",
    "composer.json": "php",
    "pyproject.toml": "python",
    "setup.cfg": "python",
    "tox.ini": "python",
    "noxfile.py": "python",
    "Pipfile": "python",
    "Gemfile": "ruby",
    "Rakefile": "ruby",
    "mix.exs": "elixir",
    "Cargo.toml": "rust",
    "go.mod": "go",
    "pom.xml": "jvm",
    "build.gradle": "jvm",
    "build.gradle.kts": "jvm",
    "build.sbt": "jvm",
    "pubspec.yaml": "dart",
}
_PROGRAMS: dict[str, str] = {
    **dict.fromkeys(("npm", "npx", "pnpm", "yarn", "node", "bun", "bunx"), "js"),
    **dict.fromkeys(("composer", "php", "vendor/bin"), "php"),
    **dict.fromkeys(
        ("python", "python3", "pytest", "poe", "tox", "nox", "uv", "uvx", "poetry", "pdm"),
        "python",
    ),
    **dict.fromkeys(("hatch", "pipenv", "pre-commit", "mypy", "ruff"), "python"),
    **dict.fromkeys(("bundle", "rake", "rails", "bin/rails", "rspec"), "ruby"),
    **dict.fromkeys(("mvn", "./mvnw", "gradle", "./gradlew", "sbt"), "jvm"),
    "mix": "elixir",
    "cargo": "rust",
    "go": "go",
    "dotnet": "dotnet",
    "swift": "swift",
    "dart": "dart",
    "flutter": "dart",
}
# language (the analysis' display names) -> family, to find a folder's main ecosystem
_LANGUAGES: dict[str, str] = {
    "Python": "python",
    **dict.fromkeys(("JavaScript", "TypeScript", "Vue", "Svelte", "Astro"), "js"),
    "Go": "go",
    "Rust": "rust",
    **dict.fromkeys(("Java", "Kotlin", "Groovy", "Scala"), "jvm"),
    "Ruby": "ruby",
    "PHP": "php",
    **dict.fromkeys(("C#", "F#", "Visual Basic .NET"), "dotnet"),
    **dict.fromkeys(("Elixir", "Erlang"), "elixir"),
    "Swift": "swift",
    "Dart": "dart",
    **dict.fromkeys(("C", "C++"), "c"),
}


def command_family(run: str, source: str) -> str | None:
    """The family whose job runs a command, or None for a task runner's (make, just)."""
    by_source = _SOURCES.get(source.rsplit("/", 1)[-1])
    if by_source is not None:
        return by_source
    words = [w for w in run.split() if "=" not in w]  # skip leading VAR=value
    program = words[0] if words else ""
    if program.startswith("vendor/bin/"):
        program = "vendor/bin"
    return _PROGRAMS.get(program)


def main_family(languages: list[tuple[str, float]], families: set[str]) -> str | None:
    """Of the families with a job in a folder, the one of its largest language."""
    for name, _ in sorted(languages, key=lambda item: -item[1]):
        family = _LANGUAGES.get(name)
        if family in families:
            return family
    return min(families) if families else None
