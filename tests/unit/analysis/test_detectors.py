"""Package managers, frameworks and test frameworks in the shapes real repositories use:
one fixture per class of miss seen on real checkouts."""

from __future__ import annotations

import json

from libs.analysis import analyze
from libs.analysis.report import Fact, Subproject
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build, Files


def subprojects(build: Build, files: Files) -> dict[str, Subproject]:
    return {sub.path: sub for sub in analyse_stack(Tree.scan(build(files))).subprojects}


def names(facts: list[Fact]) -> list[str]:
    return sorted(fact.name for fact in facts)


# -- package managers -------------------------------------------------------------------


def test_a_uv_workspace_member_is_installed_by_uv(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "pyproject.toml": '[project]\nname = "mcp"\n[tool.uv.workspace]\n'
            'members = ["src/mcp-types", "examples/servers/*"]\n',
            "uv.lock": "version = 1\n",
            "src/mcp-types/pyproject.toml": '[project]\nname = "mcp-types"\n',
            "src/mcp-types/mcp_types/__init__.py": "",
        },
    )
    member = subs["src/mcp-types"]
    assert names(member.package_managers) == ["uv"]
    assert member.lockfiles == ["uv.lock"]
    assert member.workspace_root == "."


def test_a_project_whose_tasks_run_uv_is_a_uv_project(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "pyproject.toml": '[project]\nname = "lib"\n[dependency-groups]\ndev = ["pytest"]\n',
            "Justfile": "test:\n  uv run pytest\n",
        },
    )
    assert [(f.name, f.source) for f in subs["."].package_managers] == [("uv", "Justfile")]


def test_a_setup_py_inside_a_package_is_not_a_project(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "pyproject.toml": '[project]\nname = "numlib"\n',
            "numlib/__init__.py": "",
            "numlib/setup.py": "def configuration(parent_package=''):\n    return None\n",
            "tools/gen/setup.py": "from setuptools import setup\nsetup(name='gen')\n",
        },
    )
    assert sorted(subs) == [".", "tools/gen"]  # a standalone setup.py still is one


# -- frameworks -------------------------------------------------------------------------


def test_jekyll_sites_with_and_without_a_gemfile(build: Build) -> None:
    pages = subprojects(
        build,
        {
            "Gemfile": 'gem "github-pages", group: :jekyll_plugins\n',
            "_config.yml": "title: Guide\n",
            "_articles/how-to.md": "# How to\n",
        },
    )
    assert [(f.name, f.source) for f in pages["."].frameworks] == [("Jekyll", "Gemfile")]
    bare = subprojects(
        build,
        {"_config.yml": "title: Books\n", "_includes/head.html": "<meta>\n", "books.md": "#\n"},
    )
    assert [(f.name, f.source) for f in bare["."].frameworks] == [("Jekyll", "_config.yml")]
    theme = subprojects(
        build,
        {
            "Gemfile": 'source "https://rubygems.org"\ngemspec\n',
            "minima.gemspec": 'Gem::Specification.new do |spec|\n  spec.name = "minima"\n'
            '  spec.add_runtime_dependency "jekyll", ">= 3.5", "< 5.0"\n'
            '  spec.add_development_dependency "rake", "~> 12.0"\nend\n',
        },
    )
    assert names(theme["."].frameworks) == ["Jekyll"]


def test_gradle_plugins_declared_apply_false_are_not_frameworks(build: Build) -> None:
    catalog = (
        "[plugins]\n"
        'android-application = { id = "com.android.application", version = "8.7.1" }\n'
        'spring-boot = { id = "org.springframework.boot", version = "3.3.0" }\n'
    )
    subs = subprojects(
        build,
        {
            "settings.gradle.kts": 'include(":lib")\n',
            "gradle/libs.versions.toml": catalog,
            "build.gradle.kts": "plugins {\n"
            '  id("io.quarkus") version "3.9.0" apply false\n'
            "  alias(libs.plugins.android.application) apply false\n"
            "}\n",
            "lib/build.gradle.kts": "plugins {\n  alias(libs.plugins.spring.boot)\n}\n",
        },
    )
    assert names(subs["."].frameworks) == ["Spring Boot"]  # applied in :lib only


# -- test frameworks --------------------------------------------------------------------


def test_unittest_mock_alone_is_not_unittest(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "pyproject.toml": '[project]\nname = "x"\n[dependency-groups]\ndev = ["pytest"]\n',
            "tests/test_api.py": "from unittest import mock\n\n"
            "def test_call():\n    with mock.patch('x.y'):\n        pass  # TestCase-free\n",
        },
    )
    assert names(subs["."].test_frameworks) == ["pytest"]


def test_a_testcase_base_class_in_a_test_helper_module_is_unittest(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "pyproject.toml": '[project]\nname = "x"\n[dependency-groups]\ndev = ["pytest"]\n',
            "tests/util.py": "import unittest\nclass BaseTestCase(unittest.TestCase):\n    pass\n",
            "tests/test_x.py": "from tests.util import BaseTestCase\n",
        },
    )
    assert names(subs["."].test_frameworks) == ["pytest", "unittest"]


def test_django_manage_py_test_is_the_test_runner(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "requirements/prod.txt": "Django==5.2\n",
            "manage.py": "from django.core.management import execute_from_command_line\n",
            "blog/tests.py": "from django.test import TestCase\n\n"
            "class PostTests(TestCase):\n    def test_list(self):\n        pass\n",
        },
    )
    sub = subs["."]
    assert names(sub.test_frameworks) == ["unittest"]
    assert [(c.purpose, c.run) for c in sub.commands] == [("test", "python manage.py test")]


def test_kotlin_test_from_a_version_catalog_and_the_kotlin_dsl(build: Build) -> None:
    catalog = (
        "[libraries]\n"
        'kotlin-junit = { module = "org.jetbrains.kotlin:kotlin-test-junit", version = "2.0" }\n'
    )
    by_catalog = subprojects(
        build,
        {
            "build.gradle.kts": "dependencies {\n  testImplementation(libs.kotlin.junit)\n}\n",
            "gradle/libs.versions.toml": catalog,
        },
    )
    assert names(by_catalog["."].test_frameworks) == ["kotlin-test"]
    by_dsl = subprojects(
        build, {"build.gradle.kts": 'dependencies {\n  implementation(kotlin("test"))\n}\n'}
    )
    assert names(by_dsl["."].test_frameworks) == ["kotlin-test"]


def test_cucumber_features_run_from_a_rakefile(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "Gemfile": 'source "https://rubygems.org"\ngemspec\n',
            "aruba.gemspec": "Gem::Specification.new do |spec|\n"
            "  spec.add_dependency 'cucumber-core', '~> 16.0'\n"
            "  spec.add_development_dependency 'rspec', '>= 3.11'\nend\n",
            "Rakefile": "require 'cucumber/rake/task'\nCucumber::Rake::Task.new\n",
            "features/01_start/run.feature": "Feature: Run\n  Scenario: x\n",
            "spec/aruba_spec.rb": "RSpec.describe 'x' do\nend\n",
        },
    )
    assert names(subs["."].test_frameworks) == ["cucumber", "rspec"]


def test_minitest_required_from_a_helper_and_html_proofer(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "Gemfile": 'source "https://rubygems.org"\ngroup :test do\n  gem "html-proofer"\n'
            '  gem "rake"\nend\n',
            "test/helper.rb": 'require "minitest/autorun"\n',
            "test/test_links.rb": 'require_relative "helper"\n',
        },
    )
    assert names(subs["."].test_frameworks) == ["html-proofer", "minitest"]


def test_a_vendored_unity_harness_is_the_test_framework_and_make_test_is_not(
    build: Build,
) -> None:
    subs = subprojects(
        build,
        {
            "Makefile": "all:\n\tcc -o lib lib.c\ntest:\n\t./run_tests\n",
            "lib.c": "int f(void) { return 1; }\n",
            "tests/unity/src/unity.h": "void UnityBegin(const char*);\n",
            "tests/unity/src/unity.c": "void UnityBegin(const char* f) {}\n",
            "tests/lib_tests.c": '#include "unity/src/unity.h"\n',
        },
    )
    sub = subs["."]
    assert [(f.name, f.source) for f in sub.test_frameworks] == [
        ("unity", "tests/unity/src/unity.h")
    ]
    assert [(c.purpose, c.run) for c in sub.commands] == [("test", "make test")]


def test_a_node_project_keeps_its_own_frameworks(build: Build) -> None:
    # the unchanged path: a package.json's declared test runner is still found
    subs = subprojects(
        build, {"package.json": json.dumps({"name": "x", "devDependencies": {"vitest": "^2"}})}
    )
    assert names(subs["."].test_frameworks) == ["vitest"]


def test_a_manager_known_only_from_its_tasks_expects_no_lockfile(build: Build) -> None:
    report = analyze(
        build(
            {
                "pyproject.toml": '[project]\nname = "lib"\n',
                "Justfile": "test:\n  uv run pytest\n",
                "lib/__init__.py": "",
            }
        )
    )
    [lockfile] = [c for c in report.checks if c.id == "lockfile-committed"]
    assert lockfile.status == "not_applicable"


def test_benchmarks_examples_and_runtime_test_folders_are_not_subprojects(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "package.json": json.dumps({"name": "hono", "packageManager": "bun@1.1.0"}),
            "benchmarks/routers/package.json": json.dumps(
                {"name": "bench", "dependencies": {"express": "^4"}}
            ),
            "_examples/rest/go.mod": "module rest\n\nrequire github.com/go-chi/chi/v5 v5.0.0\n",
            "runtime-tests/deno/deno.json": "{}",
        },
    )
    assert sorted(subs) == ["."]
    assert names(subs["."].frameworks) == []


def test_bun_test_imported_by_the_test_files(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "package.json": json.dumps({"name": "elysia", "scripts": {"test": "bun run t"}}),
            "test/core/handle.test.ts": "import { describe, it } from 'bun:test'\n",
        },
    )
    assert [(f.name, f.source) for f in subs["."].test_frameworks] == [
        ("bun test", "test/core/handle.test.ts")
    ]


def test_a_nuxt_app_is_a_vue_app(build: Build) -> None:
    subs = subprojects(
        build, {"package.json": json.dumps({"name": "web", "dependencies": {"nuxt": "^2.17"}})}
    )
    assert names(subs["."].frameworks) == ["Nuxt", "Vue"]


def test_a_docs_site_package_is_documentation_with_no_framework(build: Build) -> None:
    site = {
        "name": "website",
        "scripts": {"build": "docusaurus build"},
        "dependencies": {"@docusaurus/core": "^3", "react": "^18", "react-dom": "^18"},
    }
    app = {"name": "app", "devDependencies": {"vitepress": "^1", "vue": "^3"}}
    files: Files = {
        "package.json": json.dumps({**app, "dependencies": {"vue": "^3"}}),
        "src/index.ts": "export const x = 1;\n" * 200,
        "website/package.json": json.dumps(site),
        "website/src/pages/index.js": "export default function Home() { return null }\n" * 400,
    }
    stack = analyse_stack(Tree.scan(build(files)))
    subs = {sub.path: sub for sub in stack.subprojects}
    # the site's React is the generator's; the root's own Vue stays, vitepress beside it
    assert names(subs["website"].frameworks) == []
    assert names(subs["."].frameworks) == ["Vue"]
    assert [share.name for share in stack.languages] == ["TypeScript"]


def test_dependencies_a_hatch_metadata_hook_fills_in_are_runtime_ones(build: Build) -> None:
    pyproject = (
        '[project]\nname = "mcp"\ndynamic = ["version", "dependencies"]\n'
        '[project.optional-dependencies]\ncli = ["typer"]\n'
        "[tool.hatch.metadata.hooks.uv-dynamic-versioning]\n"
        'dependencies = ["anyio>=4", "starlette>=0.27; python_version < \'3.14\'"]\n'
    )
    subs = subprojects(build, {"pyproject.toml": pyproject, "src/mcp/__init__.py": ""})
    assert names(subs["."].frameworks) == ["Starlette"]


def test_a_test_file_importing_its_runner_is_not_a_node_test_file(build: Build) -> None:
    subs = subprojects(
        build,
        {
            "package.json": json.dumps({"name": "defu", "devDependencies": {"vitest": "^4"}}),
            "test/utils.test.ts": (
                'import { describe } from "node:test";\nimport { it } from "vitest";\n'
            ),
        },
    )
    assert names(subs["."].test_frameworks) == ["vitest"]


def test_a_browser_suite_with_its_own_package_under_tests_is_a_subproject(
    build: Build,
) -> None:
    e2e = {"name": "e2e", "devDependencies": {"@playwright/test": "^1.40"}}
    subs = subprojects(
        build,
        {
            "pyproject.toml": '[project]\nname = "mealie"\ndependencies = ["fastapi"]\n',
            "tests/e2e/package.json": json.dumps(e2e),
            "tests/e2e/playwright.config.ts": "export default {}\n",
            "tests/e2e/yarn.lock": "# yarn lockfile v1\n",
            # test data with a manifest stays test data
            "tests/data/site/package.json": json.dumps({"name": "page"}),
        },
    )
    assert sorted(subs) == [".", "tests/e2e"]
    assert names(subs["tests/e2e"].test_frameworks) == ["playwright"]
