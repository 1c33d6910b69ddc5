"""Failure classes around what tests talk to and how images build (issue 13, section 2)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cigen.fixtures import generated

POM = """<project>
  <parent><groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId><version>3.5.0</version></parent>
  <properties><java.version>17</java.version></properties>
  <dependencies>
    <dependency><groupId>com.mysql</groupId><artifactId>mysql-connector-j</artifactId></dependency>
    <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency>
    <dependency><groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-test</artifactId></dependency>
    {extra}
  </dependencies>
</project>"""
TESTCONTAINERS = (
    "<dependency><groupId>org.testcontainers</groupId><artifactId>mysql</artifactId></dependency>"
)


def test_spring_tests_keep_their_own_datasource(tmp_path: Path) -> None:
    """petclinic: job-wide SPRING_DATASOURCE_* overrode every profile and forced the tests,
    which run on H2 with H2 schema scripts, onto the MySQL container."""
    spring = generated(tmp_path, {"pom.xml": POM.format(extra=""), "mvnw": ""})
    job = spring.job("java")
    assert set(job["services"]) == {"mysql", "postgres"}
    assert not [key for key in job.get("env", {}) if key.startswith("SPRING_DATASOURCE")]


def test_no_service_containers_where_tests_start_their_own(tmp_path: Path) -> None:
    """Testcontainers (and Spring's docker-compose support) start the databases the tests
    need; service containers would only take the ports those bind."""
    files = {
        "pom.xml": POM.format(extra=TESTCONTAINERS),
        "mvnw": "",
        "docker-compose.yml": "services:\n  db:\n    image: mysql:8.4\n",
    }
    spring = generated(tmp_path, files)
    assert "services" not in spring.job("java")
    assert any("the tests start their own (testcontainers" in n for n in spring.notes)


def test_laravel_tests_get_an_env_file_and_an_application_key(tmp_path: Path) -> None:
    files = {
        "composer.json": json.dumps(
            {
                "require": {"laravel/framework": "^12.0"},
                "require-dev": {"phpunit/phpunit": "^11"},
            }
        ),
        "composer.lock": "{}",
        "phpunit.xml": "<phpunit/>",
        ".env.example": "APP_KEY=\n",
        "artisan": "#!/usr/bin/env php\n",
    }
    laravel = generated(tmp_path, files)
    runs = laravel.runs("php")
    install = runs.index("composer install --no-interaction --no-progress --prefer-dist")
    env = runs.index("[ -f .env ] || cp .env.example .env || touch .env")
    key = runs.index("php artisan key:generate")
    assert install < env < key < runs.index("vendor/bin/phpunit")


def test_a_docker_build_uses_the_context_compose_builds_it_from(tmp_path: Path) -> None:
    """A Dockerfile in a subfolder that copies root files: compose's `build.context` says
    the image is built from the repository root, not from the Dockerfile's folder."""
    files = {
        "pyproject.toml": '[project]\nname = "app"\n',
        "api/pyproject.toml": '[project]\nname = "api"\n',
        "api/tests/test_api.py": "def test_api(): pass\n",
        "api/Dockerfile": "FROM python:3.13\nCOPY pyproject.toml uv.lock ./\nCOPY api api\n",
        "compose.yaml": "services:\n  api:\n    build:\n      context: .\n"
        "      dockerfile: api/Dockerfile\n",
    }
    result = generated(tmp_path, files)
    [docker] = [job for job_id, job in result.jobs.items() if job_id.startswith("docker")]
    build = next(s for s in docker["steps"] if "build-push-action" in s.get("uses", ""))
    assert build["with"]["context"] == "."
    assert build["with"]["file"] == "api/Dockerfile"
    assert "api/Dockerfile: built from ., as compose.yaml builds it" in result.notes


def test_a_service_container_the_ci_runs_that_we_do_not_is_named(tmp_path: Path) -> None:
    """mealie's CI runs `rroemhild/test-openldap` beside its tests, unpinned; 7 LDAP login
    tests fail without it. We do not carry an image we cannot pin: the notes say which
    tests will fail and why, while the databases we provision pass unremarked."""
    ci = (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    services:\n"
        "      postgres:\n        image: postgres:16\n"
        "      ldap:\n        image: acme/test-ldap\n"
        "      mail:\n        image: acme/mail:2.1\n"
        "    steps:\n      - run: pip install -e .\n      - run: pytest\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "app"\ndependencies = ["psycopg"]\n',
        "tests/test_app.py": "def test_app(): pass\n",
        ".github/workflows/ci.yml": ci,
    }
    notes = generated(tmp_path, files).notes
    said = [n for n in notes if "service container beside its Python tests" in n]
    assert len(said) == 2, notes
    assert any("`acme/test-ldap`" in n and "names no version to pin" in n for n in said)
    assert any("`acme/mail:2.1`" in n and "names no version" not in n for n in said)
    assert not any("`postgres:16`" in n for n in said)
