"""What a repository's CI test job prepares before its tests, carried over (issue 13:
djangoproject.com's tests need the database roles, data and settings file its CI makes,
the translations `make ci` compiles, and the browsers its CI installs)."""

from __future__ import annotations

from pathlib import Path

from libs.analysis import analyze
from libs.cigen import generate
from libs.cigen.validate.schema import parse_yaml
from tests.unit.analysis.conftest import write_tree
from tests.unit.cigen.fixtures import Generated, generated

PYPROJECT = '[project]\nname = "site"\ndependencies = ["django>=5", "{driver}", "playwright"]\n'
MAKEFILE = (
    "ci: compilemessages test\n\t@python -m coverage report\n\n"
    "compilemessages:\n\tpython -m manage compilemessages\n\n"
    "test:\n\t@python -m manage test\n"
)
WORKFLOW = """name: Tests
on:
  {on}
jobs:
  tests:
    runs-on: ubuntu-24.04
    services:
      postgres:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: postgres
        ports:
          - 5432:5432
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install dependencies
        run: python -m pip install -r requirements.txt
      - name: Install playwright browsers
        run: python -m playwright install --with-deps chromium
      - name: Set up databases
        run: |
          PGPASSWORD="{password}" createuser -U postgres -d site --superuser -h localhost
          PGPASSWORD="{password}" psql -U postgres -h localhost -c "ALTER USER site PASSWORD 's';"
      - name: Load data
        run: PGPASSWORD="{password}" psql -U postgres -d site -h localhost < db/data.sql
      - name: Output folder
        run: mkdir coverage
      - name: Create secrets.json
        working-directory: ..
        run: |
          mkdir conf
          echo '{{"db_host": "{host}", ' > conf/secrets.json
          echo '"db_password": "secret"}}' >> conf/secrets.json
      - name: Run tests
        run: make ci
"""


def _site(password: str = "postgres", driver: str = "psycopg[binary]") -> dict[str, str | bytes]:
    return {
        "pyproject.toml": PYPROJECT.format(driver=driver),
        "requirements.txt": "django>=5\n",
        "manage.py": "import django\n",
        "site/tests.py": "from django.test import TestCase\n",
        "db/data.sql": "create table t (n int);\n",
        "Makefile": MAKEFILE,
        ".github/workflows/tests.yml": WORKFLOW.format(
            on="push:\n    branches: [main]\n  pull_request:", password=password, host="localhost"
        ),
        # a nightly workflow that tests against another Django: its job is not the one
        ".github/workflows/a-nightly.yml": WORKFLOW.format(
            on="schedule:\n    - cron: '0 0 * * *'", password=password, host="nightly"
        ),
    }


def _steps(site: Generated, job: str) -> list[dict[str, str]]:
    return [s for s in site.job(job)["steps"] if "run" in s]


def test_the_ci_test_jobs_database_and_settings_preparation_runs_before_the_tests(
    tmp_path: Path,
) -> None:
    site = generated(tmp_path, _site())
    steps = _steps(site, "python")
    names = [s["name"] for s in steps]
    runs = [s["run"] for s in steps]
    databases = steps[names.index("Set up databases")]
    assert databases["run"].splitlines() == [
        'PGPASSWORD="postgres" createuser -U postgres -d site --superuser -h localhost',
        'PGPASSWORD="postgres" psql -U postgres -h localhost -c "ALTER USER site PASSWORD \'s\';"',
    ]
    assert "working-directory" not in databases
    assert runs[names.index("Load data")] == (
        'PGPASSWORD="postgres" psql -U postgres -d site -h localhost < db/data.sql'
    )
    secrets = steps[names.index("Create secrets.json")]
    assert secrets["working-directory"] == ".."  # beside the checkout, where settings look
    # the lines that write one file in turn, as one redirect (shellcheck's SC2129)
    assert secrets["run"].splitlines() == [
        "mkdir conf",
        "{",
        """  echo '{"db_host": "localhost", '""",
        """  echo '"db_password": "secret"}'""",
        "} > conf/secrets.json",
    ]
    assert "Output folder" not in names  # a folder alone is for outputs, not for the tests
    browsers = runs.index("python -m playwright install --with-deps chromium")
    install = max(i for i, s in enumerate(steps) if s["name"].startswith("Install dependencies"))
    assert install < browsers < names.index("Set up databases")
    # the tests as its CI runs them: `make ci` compiles the translations first
    assert names.index("Create secrets.json") < runs.index("make ci")
    assert "python manage.py test" not in runs
    assert any("runs `make test` after compilemessages" in n for n in site.notes)
    assert any(
        "runs `Set up databases`, `Load data`, `Create secrets.json` before its tests, as "
        ".github/workflows/tests.yml does" in n
        for n in site.notes
    )


def test_database_preparation_as_another_user_than_our_service_is_left_and_said(
    tmp_path: Path,
) -> None:
    site = generated(tmp_path, _site(password="ci-only"))
    names = [s["name"] for s in _steps(site, "python")]
    assert "Set up databases" not in names
    assert "Load data" not in names
    assert "Create secrets.json" in names  # a file needs no service
    assert any(
        "does not run the CI's `Set up databases` (.github/workflows/tests.yml): `createuser` "
        "signs in as the CI's service user" in n
        for n in site.notes
    )


def test_a_mysql_client_talking_to_our_service_is_carried(tmp_path: Path) -> None:
    files = _site(driver="mysqlclient")
    files[".github/workflows/tests.yml"] = (
        "on: [push]\njobs:\n  tests:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.12'\n"
        "      - name: Create the test database\n"
        '        run: mysql -h 127.0.0.1 -uroot -pmysql -e "CREATE DATABASE site_test"\n'
        "      - name: Other credentials\n"
        '        run: mysql -h 127.0.0.1 -u app -papp -e "SELECT 1"\n'
        "      - run: python manage.py test\n"
    )
    del files[".github/workflows/a-nightly.yml"]
    site = generated(tmp_path, files)
    runs = [s["run"] for s in _steps(site, "python")]
    assert 'mysql -h 127.0.0.1 -uroot -pmysql -e "CREATE DATABASE site_test"' in runs
    assert not [run for run in runs if "-u app" in run]


def test_a_job_that_checks_out_another_repository_lends_nothing(tmp_path: Path) -> None:
    """tomlkit's integration job checks out poetry at the workspace root and copies
    tomlkit into it: its `cp` is about poetry's tree, not this repository's."""
    files = {
        "pyproject.toml": '[project]\nname = "lib"\ndependencies = []\n'
        '[dependency-groups]\ndev = ["pytest"]\n',
        "tests/test_lib.py": "def test_lib():\n    assert 1 + 1 == 2\n",
        ".github/workflows/integration.yml": (
            "on: [push]\njobs:\n  integration:\n    runs-on: ubuntu-24.04\n    steps:\n"
            "      - uses: actions/checkout@v4\n        with:\n          repository: other/app\n"
            "      - uses: actions/checkout@v4\n        with:\n          path: lib\n"
            "      - uses: actions/setup-python@v5\n"
            "        with:\n          python-version: '3.12'\n"
            "      - name: Patch vendored lib\n        run: cp -R ./lib/lib src/_vendor/.\n"
            "      - run: pytest -q tests\n"
        ),
    }
    lib = generated(tmp_path, files)
    job = next(iter(lib.jobs))
    assert not [run for run in lib.runs(job) if run.startswith("cp ")]


def test_a_ci_target_that_also_installs_is_not_our_test_step(tmp_path: Path) -> None:
    """`make ci` here installs with pip first; our job installs its own way, so its test
    step stays the repository's test command."""
    files = _site()
    files["Makefile"] = (
        "ci: install test\n\ninstall:\n\tpython -m pip install -r requirements.txt\n\n"
        "test:\n\tpython -m manage test\n"
    )
    site = generated(tmp_path, files)
    runs = [s["run"] for s in _steps(site, "python")]
    assert "make ci" not in runs
    assert [run for run in runs if run.endswith("make test") or "manage.py test" in run]


def test_gitlab_runs_a_step_beside_the_checkout_in_a_subshell(tmp_path: Path) -> None:
    """GitLab's script lines share one shell: the move to `..` stays inside a subshell."""
    generation = generate(
        analyze(write_tree(tmp_path, _site())), platform="gitlab", code_scanning=False
    )
    assert generation.validation.findings == []
    script = parse_yaml(generation.content)["python"]["script"]
    beside = next(line for line in script if "conf/secrets.json" in line)
    assert beside.startswith("(\n  cd ..\n  mkdir conf\n")
    assert beside.endswith("} > conf/secrets.json\n)")
    assert script.index(beside) < script.index("make ci")
