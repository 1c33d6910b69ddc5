"""`autodevops ci rehearse PATH --upload --repo ID`: rehearse the CI the platform generated
for a repository (fetched from the API) and store the report there, where its CI page
shows it. The rehearsal runs here, on the user's machine; the platform only keeps the
report."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.cli.common import fail

if TYPE_CHECKING:
    from libs.common.rehearsal import Rehearsal

USER_AGENT = "autodevops-cli"


class UploadError(Exception):
    """The API could not be reached or refused a request; the message says which."""


@dataclass(frozen=True)
class Target:
    """The generated configuration to rehearse."""

    ci_config_id: str
    path: str
    content: str
    commit: str  # the analysed commit the CI was generated for


@dataclass(frozen=True)
class Api:
    url: str
    token: str
    timeout: float = 30.0

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={
                "User-Agent": USER_AGENT,
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise UploadError(f"{method} {path}: {exc.code} {_detail(exc.read())}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise UploadError(f"{self.url} did not answer: {getattr(exc, 'reason', exc)}") from None

    def generated_ci(self, repo: str) -> Target:
        """The GitHub Actions workflow generated from the repository's newest analysis."""
        analyses = self.call("GET", f"/v1/repos/{repo}/analyses?limit=1")["items"]
        if not analyses:
            raise UploadError(f"repository {repo} has no analysis yet: analyse it first")
        analysis = analyses[0]
        configs = self.call("GET", f"/v1/analyses/{analysis['id']}/ci")["items"]
        github = [c for c in configs if c["platform"] == "github"]
        if not github:
            raise UploadError(
                f"no GitHub Actions workflow was generated from the analysis of "
                f"{analysis['commit_sha'][:12]} (the rehearsal runs GitHub Actions only)"
            )
        config = github[0]
        return Target(config["id"], config["path"], config["content"], analysis["commit_sha"])

    def upload(self, repo: str, report: dict[str, Any]) -> dict[str, Any]:
        stored: dict[str, Any] = self.call("POST", f"/v1/repos/{repo}/ci/rehearsals", report)
        return stored


def _detail(body: bytes) -> str:
    try:
        problem = json.loads(body)
    except ValueError:
        return body[:200].decode(errors="replace")
    return str(problem.get("detail") or problem) if isinstance(problem, dict) else str(problem)


@dataclass
class Upload:
    """One --upload run: fetch the generated workflow, then send its rehearsal."""

    api: Api
    repo: str
    target: Target | None = field(default=None, init=False)

    def workflow(self) -> tuple[str, str] | int:
        """(its name for the report, its text), or exit code 2."""
        try:
            self.target = self.api.generated_ci(self.repo)
        except UploadError as exc:
            return fail(str(exc))
        return f"{self.target.path} (generated for {self.target.commit[:12]})", self.target.content

    def send(self, root: Path, rehearsal: Rehearsal) -> bool:
        import msgspec

        from libs.cigen.rehearse.workspace import inspect
        from libs.common.rehearsal import fit_for_upload, workflow_digest

        assert self.target is not None, "workflow() first"
        commit = inspect(root).sha
        body = {
            "ci_config_id": self.target.ci_config_id,
            "workflow_sha256": workflow_digest(self.target.content),
            "commit": None if commit == "0" * 40 else commit,
            "report": msgspec.to_builtins(fit_for_upload(rehearsal)),
        }
        try:
            stored = self.api.upload(self.repo, body)
        except UploadError as exc:
            print(f"error: the rehearsal ran, its upload failed: {exc}", file=sys.stderr)
            return False
        print(
            f"uploaded: {stored['outcome']}; see {self.api.url}/dashboard/repos/{self.repo}/ci",
            file=sys.stderr,
        )
        return True
