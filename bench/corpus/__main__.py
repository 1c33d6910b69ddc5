"""`python -m bench.corpus checkout DIR [--mirrors DIR] [--only NAME ...]`: the corpus.

Each repository lands in `DIR/owner+name` as a plain work tree at the manifest's commit
(no history beyond it). An existing checkout at the right commit is kept; one at another
commit is moved to it. `list` prints the manifest.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench.corpus import Repo, load


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=600
    )
    return done.stdout.strip()


def source(repo: Repo, mirrors: Path | None) -> str:
    if mirrors is not None:
        local = mirrors / repo.slug / "repo"
        if local.is_dir():
            return str(local)
    return f"https://github.com/{repo.name}.git"


def checkout(repo: Repo, into: Path, mirrors: Path | None) -> str:
    target = into / repo.slug
    if (target / ".git").exists():
        if git("rev-parse", "HEAD", cwd=target) == repo.commit:
            return "kept"
    else:
        target.mkdir(parents=True, exist_ok=True)
        git("init", "-q", cwd=target)
    git("fetch", "-q", "--depth", "1", source(repo, mirrors), repo.commit, cwd=target)
    git("-c", "advice.detachedHead=false", "checkout", "-q", "--force", repo.commit, cwd=target)
    git("clean", "-qfdx", cwd=target)
    return "checked out"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("checkout", help="bring every repository to DIR at its commit")
    get.add_argument("dir", type=Path)
    get.add_argument("--mirrors", type=Path, help="folder of owner+name/repo git directories")
    get.add_argument("--only", nargs="*", default=(), help="these owner/name only")
    commands.add_parser("list", help="print the manifest, one repository a line")
    args = parser.parse_args(argv)

    repos = load()
    if args.command == "list":
        for repo in repos:
            print(f"{repo.name:45} {repo.commit[:12]} {repo.ecosystem:7} {','.join(repo.tags)}")
        return 0
    failed = 0
    for repo in repos:
        if args.only and repo.name not in args.only:
            continue
        try:
            outcome = checkout(repo, args.dir, args.mirrors)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            failed += 1
            stderr = getattr(exc, "stderr", "") or ""
            outcome = f"failed: {stderr.strip().splitlines()[-1:] or exc}"
        print(f"{repo.name}: {outcome}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
