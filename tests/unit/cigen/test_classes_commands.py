"""Failure classes of the commands a job runs (issue 13, section 2): each job runs its
own ecosystem's commands, as the repository defines them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cigen.fixtures import generated


def test_a_bun_project_runs_its_test_script_not_bun_test(tmp_path: Path) -> None:
    """`bun test` is Bun's own test runner; a project whose `test` script runs vitest
    (hono) is tested with `bun run test`."""
    package = {
        "scripts": {"test": "vitest --run", "lint": "eslint src"},
        "devDependencies": {"vitest": "^3"},
    }
    files = {"package.json": json.dumps(package), "bun.lock": "{}"}
    bun = generated(tmp_path, files)
    assert bun.runs("bun") == ["bun install --frozen-lockfile", "bun run lint", "bun run test"]


def test_a_polyglot_folder_runs_each_script_in_its_own_ecosystem_job(tmp_path: Path) -> None:
    """koel, laravel: composer.json and package.json in one folder. The Node job never
    runs composer scripts (no PHP, no vendor/), the PHP job never runs pnpm scripts (no
    node_modules); make targets run in the job of the folder's main language."""
    files = {
        "composer.json": json.dumps(
            {
                "require-dev": {"phpunit/phpunit": "^11"},
                "scripts": {"cs": "php-cs-fixer fix --dry-run"},
            }
        ),
        "composer.lock": "{}",
        "phpunit.xml": "<phpunit/>",
        "app/Models/User.php": "<?php\nclass User {}\n" * 40,
        "package.json": json.dumps(
            {"scripts": {"test": "vitest run", "build": "vite build", "typecheck": "vue-tsc"}}
        ),
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        "resources/app.ts": "export const x = 1\n",
    }
    polyglot = generated(tmp_path, files)
    node, php = polyglot.runs("node"), polyglot.runs("php")
    assert not [run for run in node if run.startswith(("composer", "vendor/bin"))]
    assert not [run for run in php if run.startswith(("pnpm", "npm", "yarn"))]
    assert "composer run-script cs" in php
    assert "vendor/bin/phpunit" in php  # the PHP job's own tests, since `pnpm test` is not
    assert {"pnpm run typecheck", "pnpm run build", "pnpm test"} <= set(node)
    assert (
        "the repository root: the PHP job does not run `pnpm test` (test, from "
        "package.json): it belongs to the JavaScript job"
    ) in polyglot.notes


def test_a_script_that_starts_a_repository_script_needing_ruby_stays_out(
    tmp_path: Path,
) -> None:
    """opensource.guide: `"test": "script/test"`, and script/test builds the Jekyll site
    with `bundle exec`. The Node.js job never installs the gems: the script's commands
    are read, and `npm test` is left to the job that has Ruby."""
    files = {
        "package.json": json.dumps({"scripts": {"test": "script/test", "lint": "eslint ."}}),
        "package-lock.json": "{}",
        ".eslintrc.json": "{}",
        "script/test": "#!/bin/bash\nset -e\nbundle exec jekyll build\nnpx mocha\n",
        "Gemfile": "source 'https://rubygems.org'\ngem 'jekyll'\n",
        "Gemfile.lock": "GEM\n",
        "app.js": "console.log(1)\n" * 50,
    }
    guide = generated(tmp_path, files)
    assert "npm test" not in guide.runs("node")
    assert "npm run lint" in guide.runs("node")
    assert any("its recipe runs `bundle exec jekyll build`" in note for note in guide.notes)


def test_make_targets_run_in_the_main_languages_job(tmp_path: Path) -> None:
    """fzf: a Go program with a Gemfile for its Ruby test helpers. `make test` runs in the
    Go job (Go is the main language), not again in the Ruby one."""
    files = {
        "go.mod": "module example.org/tool\n\ngo 1.23\n",
        "main.go": "package main\n\nfunc main() {}\n" * 30,
        "Makefile": "test:\n\tgo test ./...\nlint:\n\tgofmt -l .\n",
        "Gemfile": "source 'https://rubygems.org'\ngem 'rubocop'\n",
        "Gemfile.lock": "GEM\n",
        "test/helper.rb": "puts 1\n",
    }
    fzf = generated(tmp_path, files)
    assert "make test" in fzf.runs("go")
    assert not [run for run in fzf.runs("ruby") if run.startswith("make")]


def test_cmake_projects_are_tested_with_ctest_not_their_makefile(tmp_path: Path) -> None:
    """cJSON, hiredis: a CMake build beside a hand-written Makefile. The job builds with
    CMake into build/, so `make test` (the Makefile's own build) is not its test step."""
    files = {
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.10)\nproject(j C)\n"
        "enable_testing()\nadd_executable(t test.c)\nadd_test(NAME t COMMAND t)\n",
        "Makefile": "all:\n\tcc -o j j.c\ntest:\n\t./j_test\n",
        "j.c": "int main(void) { return 0; }\n",
        "test.c": "int main(void) { return 0; }\n",
    }
    cmake = generated(tmp_path, files)
    runs = cmake.runs("cmake")
    assert runs[-1] == "ctest --test-dir build --output-on-failure"
    assert "make test" not in runs
    # one compiler per core: make's unbounded -j took 16 GB on nlohmann/json
    assert 'cmake --build build --parallel "$(nproc)"' in runs


def test_a_cmake_project_with_a_swift_package_manifest_keeps_its_cmake_job(
    tmp_path: Path,
) -> None:
    """nlohmann/json: C++ built and tested with CMake, and a Package.swift for SwiftPM
    users. Only a Swift job was planned, running `swift test` for the C++ suites (no
    Swift test target: it fails). The CMake job stays; Swift tests only Swift tests."""
    files = {
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.10)\nproject(j CXX)\n"
        "enable_testing()\nadd_executable(t tests/t.cpp)\nadd_test(NAME t COMMAND t)\n",
        "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\n",
        "include/j.hpp": "#pragma once\n" + "int j();\n" * 200,
        "tests/t.cpp": "#include <doctest.h>\nint main() { return 0; }\n",
    }
    result = generated(tmp_path, files)
    assert result.runs("cmake")[-1] == "ctest --test-dir build --output-on-failure"
    assert "swift test" not in result.runs("swift")


def test_a_node_job_whose_scripts_call_bun_sets_up_bun(tmp_path: Path) -> None:
    """An npm project whose test script is `bun test`: the Node job ran it without Bun."""
    package = {"scripts": {"test": "bun test", "build": "tsc"}}
    files = {"package.json": json.dumps(package), "package-lock.json": "{}"}
    node = generated(tmp_path, files)
    assert node.step("node", "oven-sh/setup-bun")["with"]["bun-version"] == "1.4.5"
    assert "npm test" in node.runs("node")


def test_a_bun_line_or_range_installs_an_exact_bun(tmp_path: Path) -> None:
    """`.bun-version` says `1.2` (or engines a range): setup-bun would take whatever
    release is newest the day the job runs; the job installs one exact, vetted Bun."""
    package = {"scripts": {"test": "vitest --run"}, "devDependencies": {"vitest": "^3"}}
    files = {"package.json": json.dumps(package), "bun.lock": "{}", ".bun-version": "1.2\n"}
    bun = generated(tmp_path, files)
    assert bun.step("bun", "oven-sh/setup-bun")["with"]["bun-version"] == "1.4.5"
    exact = dict(files, **{".bun-version": "1.2.3\n"})
    kept = generated(tmp_path / "exact", exact)
    assert kept.step("bun", "oven-sh/setup-bun")["with"]["bun-version"] == "1.2.3"


def test_a_pnpm_line_installs_that_majors_vetted_release(tmp_path: Path) -> None:
    """packageManager says `pnpm@9`: pnpm/action-setup and `npm install -g pnpm@9` would
    take the newest 9.x the day the job runs; both platforms install one exact release."""
    package = {"scripts": {"test": "vitest --run"}, "packageManager": "pnpm@9"}
    files = {"package.json": json.dumps(package), "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}
    github = generated(tmp_path, files)
    assert github.step("node", "pnpm/action-setup")["with"]["version"] == "9.15.9"
    gitlab = generated(tmp_path / "gitlab", files, platform="gitlab")
    assert "npm install --global pnpm@9.15.9" in gitlab.generation.content


def test_an_eslintrc_that_eslint_9_never_reads_gets_no_lint_step(tmp_path: Path) -> None:
    """elysia: .eslintrc.json beside eslint ^9, which reads only eslint.config.*: `eslint .`
    exited 2 on the first run. ESLint 8 still reads it."""
    package = {"scripts": {"test": "vitest run"}, "devDependencies": {"eslint": "^9.24.0"}}
    files = {"package.json": json.dumps(package), "package-lock.json": "{}"}
    files[".eslintrc.json"] = "{}"
    nine = generated(tmp_path / "nine", files)
    assert not [run for run in nine.runs("node") if "eslint" in run]
    assert any("ESLint 9 does not read .eslintrc.json" in note for note in nine.notes)
    package["devDependencies"] = {"eslint": "^8.57.0"}
    eight = generated(tmp_path / "eight", {**files, "package.json": json.dumps(package)})
    assert "npx --no-install eslint ." in eight.runs("node")


def test_a_folder_that_depends_on_another_by_path_runs_on_its_changes(tmp_path: Path) -> None:
    """viper's remote/go.mod replaces viper with `../`: its job ran only on changes under
    remote/, never on a change to the viper it builds. A folder depending on the root by
    path has no filter; one depending on a sibling (Cargo's `path = "../core"`, npm's
    `file:../core`) runs on the sibling's changes too."""
    gomod = "module example.com/{name}\n\ngo 1.24\n"
    files = {
        "go.mod": gomod.format(name="root"),
        "root.go": "package root\n",
        "root_test.go": "package root\n",
        "remote/go.mod": gomod.format(name="remote") + "\nreplace example.com/root => ../\n",
        "remote/remote.go": "package remote\n",
        "remote/remote_test.go": "package remote\n",
        "web/package.json": json.dumps(
            {"scripts": {"test": "node --test"}, "dependencies": {"core": "file:../core"}}
        ),
        "web/package-lock.json": "{}",
        "core/package.json": json.dumps({"scripts": {"test": "node --test"}}),
        "core/package-lock.json": "{}",
    }
    jobs = generated(tmp_path, files).jobs
    assert "if" not in jobs["remote"]
    assert jobs["web"]["if"] == "needs.changes.outputs.web == 'true'"
    changes = "\n".join(s.get("run", "") for s in jobs["changes"]["steps"])
    assert "web=$(hit -E '^(web|core)/')" in changes
    hostile = {
        **files,
        "core/package.json": json.dumps(
            {"scripts": {"test": "node --test"}, "dependencies": {"x": "file:../a'$(id)'b"}}
        ),
    }
    changes = "\n".join(
        s.get("run", "") for s in generated(tmp_path / "hostile", hostile).jobs["changes"]["steps"]
    )
    assert "$(id)" not in changes  # a path we cannot quote is never a filter's
