"""`--as-of` end to end: real pip, uv and npm, run by a rehearsal, against a loopback
server speaking PyPI's JSON simple API (PEP 691, upload times of PEP 700) and the npm
registry protocol (a packument with `time`), each publishing a package twice: 1.0 in
2020, 2.0 in 2024. As of 2022 every tool (pnpm and Bun through their minimum release
ages) installs 1.0; without --as-of, 2.0."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.rehearse.test_rehearse import job, local_python_minor, rehearse, steps
from tests.unit.analysis.conftest import write_tree

PUBLISHED = {"1.0": "2020-01-01T00:00:00Z", "2.0": "2024-01-01T00:00:00Z"}


def _wheel(version: str) -> bytes:
    info = f"datedpkg-{version}.dist-info"
    files = {
        "datedpkg/__init__.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: datedpkg\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _tarball(version: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in {
            "package/package.json": json.dumps({"name": "datednpm", "version": f"{version}.0"}),
            "package/index.js": f"module.exports = {version!r};\n",
        }.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


class Registry:
    """PyPI's JSON simple API and npm's registry protocol, for one package each."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        for version in PUBLISHED:
            self.files[f"/files/datedpkg-{version}-py3-none-any.whl"] = _wheel(version)
            self.files[f"/datednpm/-/datednpm-{version}.0.tgz"] = _tarball(version)
        self.url = ""

    def simple(self) -> dict[str, Any]:
        return {
            "meta": {"api-version": "1.1"},
            "name": "datedpkg",
            "versions": list(PUBLISHED),
            "files": [
                {
                    "filename": f"datedpkg-{v}-py3-none-any.whl",
                    "url": f"{self.url}/files/datedpkg-{v}-py3-none-any.whl",
                    "hashes": {"sha256": hashlib.sha256(self._wheel(v)).hexdigest()},
                    "upload-time": when,
                }
                for v, when in PUBLISHED.items()
            ],
        }

    def _wheel(self, version: str) -> bytes:
        return self.files[f"/files/datedpkg-{version}-py3-none-any.whl"]

    def packument(self) -> dict[str, Any]:
        versions = {}
        for version in PUBLISHED:
            data = self.files[f"/datednpm/-/datednpm-{version}.0.tgz"]
            integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
            versions[f"{version}.0"] = {
                "name": "datednpm",
                "version": f"{version}.0",
                "dist": {
                    "tarball": f"{self.url}/datednpm/-/datednpm-{version}.0.tgz",
                    "shasum": hashlib.sha1(data).hexdigest(),
                    "integrity": integrity,
                },
            }
        times = {f"{v}.0": when for v, when in PUBLISHED.items()}
        return {
            "name": "datednpm",
            "dist-tags": {"latest": "2.0.0"},
            "versions": versions,
            "time": {"created": PUBLISHED["1.0"], "modified": PUBLISHED["2.0"], **times},
        }


@contextmanager
def serving() -> Iterator[Registry]:
    served = Registry()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, with_body: bool) -> None:
            path = self.path.split("?")[0]
            if path.rstrip("/") == "/simple/datedpkg":
                body = json.dumps(served.simple()).encode()
                kind = "application/vnd.pypi.simple.v1+json"
            elif path == "/datednpm":
                body, kind = json.dumps(served.packument()).encode(), "application/json"
            elif path in served.files:
                body, kind = served.files[path], "application/octet-stream"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(True)

        def do_HEAD(self) -> None:  # uv asks before it downloads
            self._answer(False)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    with serving() as served:
        yield served


WORKFLOW = """
name: dated
on: push
env:
  INDEX: {url}
jobs:
  dated:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - uses: astral-sh/setup-uv@v6
        with:
          version: "0.13.9"
      - name: pip
        run: |
          pip install --index-url "$INDEX/simple/" datedpkg
          python -c "import datedpkg; assert datedpkg.VERSION == '1.0', datedpkg.VERSION"
      - name: uv
        if: always()
        run: |
          echo datedpkg | uv pip compile --no-cache --index-url "$INDEX/simple/" - -o out.txt
          grep -x 'datedpkg==1.0' out.txt
      - name: npm
        if: always()
        run: |
          npm install --no-audit --no-fund --registry "$INDEX/" datednpm
          test "$(node -p "require('datednpm/package.json').version")" = 1.0.0
      - uses: pnpm/action-setup@v4
        with:
          version: "10.34.9"
      - uses: oven-sh/setup-bun@v2
        with:
          bun-version: "1.4.5"
      - name: pnpm
        if: always()
        run: |
          mkdir p && cd p && echo '{{"name": "p", "version": "1.0.0"}}' > package.json
          pnpm add --registry "$INDEX/" datednpm
          test "$(node -p "require('datednpm/package.json').version")" = 1.0.0
      - name: bun
        if: always()
        run: |
          mkdir b && cd b && echo '{{"name": "b", "version": "1.0.0"}}' > package.json
          bun add --registry "$INDEX/" datednpm
          test "$(node -p "require('datednpm/package.json').version")" = 1.0.0
"""


def test_as_of_a_date_between_two_releases_pip_uv_and_npm_install_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], registry: Registry
) -> None:
    root = write_tree(tmp_path / "repo", {"package.json": '{"name": "r", "version": "1.0.0"}'})
    text = WORKFLOW.format(url=registry.url, python=local_python_minor())
    workflow = write_tree(tmp_path / "wf", {"ci.yml": text}) / "ci.yml"

    code, report = rehearse(capsys, str(root), "--workflow", str(workflow), "--as-of", "2022-01-01")
    assert code == 0, json.dumps(report, indent=1)
    assert report["as_of"] == "2022-01-01T00:00:00Z"
    assert report["as_of_origin"] == "given"
    dated = job(report, "dated")
    assert dated["status"] == "passed", dated
    by_name = steps(dated)
    assert by_name["pip"]["dating"] == "pip 26.0.1 dated (PIP_UPLOADED_PRIOR_TO)"
    assert by_name["uv"]["dating"] == "uv dated (UV_EXCLUDE_NEWER)"
    assert by_name["npm"]["dating"] == "npm dated (npm_config_before)"
    assert by_name["pnpm"]["dating"].startswith("pnpm 10.34.9 dated (minimum-release-age")
    assert by_name["bun"]["dating"].startswith("bun 1.4.5 dated (minimumReleaseAge")
    assert any("pip 26.0.1 in its virtual environment" in s for s in dated["substitutions"])

    # The same workflow without --as-of gets the 2024 releases: each check fails.
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))
    assert code == 1
    assert report["as_of"] is None
    by_name = steps(job(report, "dated"))
    tools = ("pip", "uv", "npm", "pnpm", "bun")
    assert [by_name[s]["status"] for s in tools] == ["failed"] * 5
    assert all(by_name[s]["dating"] == "" for s in tools)


def one_step(tmp_path: Path, run: str) -> tuple[str, str]:
    """A checkout and a workflow of one job with one `run:` step."""
    root = write_tree(tmp_path / "repo", {"README": "x"})
    text = f"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {run}\n"
    return str(root), str(write_tree(tmp_path / "wf", {"ci.yml": text}) / "ci.yml")


def test_the_text_report_says_it_is_dated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.cli.main import main

    root, workflow = one_step(tmp_path, "npm --version")
    as_of = "2025-06-01T12:00:00+02:00"
    with pytest.raises(SystemExit) as exited:
        main(["ci", "rehearse", root, "--workflow", workflow, "--as-of", as_of, "--quiet"])
    out = capsys.readouterr().out
    assert exited.value.code == 0, out
    assert "AS OF 2025-06-01T10:00:00Z (given)" in out.splitlines()[1]
    assert "      resolution: npm dated (npm_config_before)" in out
    assert "dependencies resolved as of 2025-06-01T10:00:00Z, not today (--as-of)" in out


def test_as_of_that_is_not_a_date_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, workflow = one_step(tmp_path, "true")
    code, err = rehearse(capsys, root, "--workflow", workflow, "--as-of", "soon")
    assert code == 2
    assert "not an ISO date" in err
    code, err = rehearse(capsys, root, "--workflow", workflow, "--as-of", "commit")
    assert code == 2
    assert "not a git repository" in err
