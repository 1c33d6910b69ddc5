"""git subprocesses, run without prompts, credential helpers or protocols we did not allow."""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass

from libs.common.config import Settings
from libs.common.repourl import InvalidRepositoryLocation, refuse_private_host
from libs.common.schemas import Repository
from services.worker.errors import PermanentJobError, TransientJobError

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_NOT_FOUND = (
    "not found",
    "does not appear to be a git repository",
    "repository not found",
    "could not read username",
    "authentication failed",
    "no such file or directory",
)


@dataclass(frozen=True)
class Head:
    branch: str | None
    commit: str


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="/bin/false",
        SSH_ASKPASS="/bin/false",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL="/dev/null",
    )
    return env


def git_base_args(allow_file: bool) -> list[str]:
    """`git -c ...` that allows https (and file only for local repositories)."""
    args = [
        "git",
        "-c",
        "credential.helper=",
        "-c",
        "protocol.allow=never",
        "-c",
        "protocol.https.allow=always",
        "-c",
        "core.hooksPath=/dev/null",
    ]
    if allow_file:
        args += ["-c", "protocol.file.allow=always"]
    return args


async def run_git(args: list[str], timeout_s: float) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=git_env(),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise TransientJobError(f"git did not answer within {timeout_s:.0f} s", "timeout") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def parse_ls_remote(output: str) -> Head:
    branch = None
    commit = None
    for line in output.splitlines():
        ref_part, _, name = line.partition("\t")
        if name != "HEAD":
            continue
        if ref_part.startswith("ref: refs/heads/"):
            branch = ref_part.removeprefix("ref: refs/heads/")
        elif _SHA.match(ref_part):
            commit = ref_part
    if commit is None:
        raise PermanentJobError("the repository has no commits yet", "empty_repository")
    return Head(branch, commit)


async def ls_remote_head(url: str, *, local: bool, timeout_s: float = 30.0) -> Head:
    """The default branch and HEAD commit of a remote (or local) repository."""
    args = [*git_base_args(local), "ls-remote", "--symref", "--", url, "HEAD"]
    code, out, err = await run_git(args, timeout_s)
    if code != 0:
        message = last_line(err) or f"git ls-remote exited with {code}"
        if looks_missing(err):
            raise PermanentJobError(
                f"repository not found or not readable: {message}", "repository_not_found"
            )
        raise TransientJobError(f"could not reach the repository: {message}", "unreachable")
    return parse_ls_remote(out)


def looks_missing(stderr: str) -> bool:
    """git's way of saying the repository does not exist or we may not read it."""
    text = stderr.lower()
    return any(marker in text for marker in _NOT_FOUND)


def last_line(text: str) -> str:
    """git's reason: its first `fatal:` line (later lines are generic advice), else the
    last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal: ")]
    line = fatal[0] if fatal else (lines[-1] if lines else "")
    return line.removeprefix("fatal: ")[:300]


async def check_public_host(settings: Settings, repo: Repository) -> None:
    """Refuse to fetch an https repository on a non-public address (see repourl)."""
    if repo.provider != "git" or settings.allow_private_repo_hosts:
        return
    try:
        await refuse_private_host(repo.clone_url)
    except InvalidRepositoryLocation as exc:
        raise PermanentJobError(str(exc), "forbidden_host") from None
