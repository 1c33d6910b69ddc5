"""The environment a step runs in: a runner's, never this program's.

From this machine only locale, CA-certificate, proxy and package-index settings pass
through (the repository's code runs here: none of our own variables or secrets reach it);
the rest is what GitHub's runner sets.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

_PASS_THROUGH = re.compile(
    r"^(LANG|LC_\w+|TZ|USER|LOGNAME|TERM|SSL_CERT_\w+|\w*CA_BUNDLE|\w*_CA_CERTS?(_\w+)?|"
    r"\w*CAINFO|NODE_EXTRA_CA_CERTS|PIP_(CERT|FIND_LINKS|INDEX_URL|EXTRA_INDEX_URL|"
    r"DEFAULT_TIMEOUT|DISABLE_PIP_VERSION_CHECK)|UV_(INDEX_URL|DEFAULT_INDEX|EXTRA_INDEX_URL)|"
    r"NPM_CONFIG_REGISTRY|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|OPENBLAS_\w+)$"
)


def machine_path() -> list[str]:
    """The machine's PATH without this program's virtualenv or pyenv (whose global Python
    has packages a runner's would not), plus rustup's proxies."""
    own = {str(Path(sys.prefix) / "bin"), os.environ.get("VIRTUAL_ENV", "") + "/bin"}
    entries = [
        p
        for p in os.environ.get("PATH", os.defpath).split(":")
        if p and p not in own and ".pyenv" not in p
    ]
    cargo = str(Path.home() / ".cargo" / "bin")
    if Path(cargo).is_dir() and cargo not in entries:
        entries.insert(0, cargo)
    return list(dict.fromkeys(entries))


def rustup_home() -> str:
    return os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))


def runner_env(
    github: dict[str, Any],
    *,
    job_id: str,
    workspace: Path,
    temp: Path,
    home: Path,
    tools: Path,
    tool_cache: Path,
    path: list[str],
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if _PASS_THROUGH.match(k)}
    cargo_home = tools / "cargo"
    env.update(
        {
            "HOME": str(home),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_TEMP": str(temp),
            "RUNNER_TOOL_CACHE": str(tools),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_NAME": "rehearsal",
            "ImageOS": "ubuntu24",
            "GITHUB_JOB": job_id,
            "GITHUB_EVENT_NAME": github["event_name"],
            "GITHUB_REF": github["ref"],
            "GITHUB_REF_NAME": github["ref_name"],
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_SHA": github["sha"],
            "GITHUB_WORKFLOW": github["workflow"],
            "GITHUB_RUN_ID": "1",
            "GITHUB_RUN_NUMBER": "1",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": "https://api.github.com",
            "GITHUB_EVENT_PATH": github["event_path"],
            "GITHUB_BASE_REF": "",
            "GITHUB_HEAD_REF": "",
            # rustup's toolchains are read where they are; what cargo installs is the job's.
            "RUSTUP_HOME": rustup_home(),
            "CARGO_HOME": str(cargo_home),
            # Download caches are shared between rehearsals: what they hold is addressed by
            # content, so they save time without changing what a step sees.
            "PIP_CACHE_DIR": str(tool_cache / "cache" / "pip"),
            "UV_CACHE_DIR": str(tool_cache / "cache" / "uv"),
            "npm_config_cache": str(tool_cache / "cache" / "npm"),
            "YARN_CACHE_FOLDER": str(tool_cache / "cache" / "yarn"),
            # corepack fetches Yarn 2+ from repo.yarnpkg.com, out of reach here; with a
            # registry set it takes the same release from npm (@yarnpkg/cli-dist)
            "COREPACK_NPM_REGISTRY": os.environ.get(
                "NPM_CONFIG_REGISTRY", "https://registry.npmjs.org"
            ).rstrip("/"),
            "PATH": ":".join(dict.fromkeys([*path, str(cargo_home / "bin")])),
        }
    )
    if isinstance(github.get("repository"), str):
        env["GITHUB_REPOSITORY"] = github["repository"]
        env["GITHUB_REPOSITORY_OWNER"] = github["repository"].split("/")[0]
    return env
