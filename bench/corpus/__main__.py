"""`python -m bench.corpus checkout DIR [--mirrors DIR] [--only NAME ...]`: the corpus.

Each repository lands in `DIR/owner+name` as a plain work tree at the manifest's commit
(no history beyond it). An existing checkout at the right commit is kept; one at another
commit is moved to it. A mirror that lacks some blobs (a snapshot without its largest
files) cannot be fetched from; the checkout then borrows its objects and goes without
those files, and says which (`absent`: files of the commit whose blob the object store
lacks; the corpus runner reads the same from git). `list` prints the manifest.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench.corpus import MANIFEST, MANIFEST_HELP, Repo, absent, load


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


def head(target: Path) -> str:
    """The commit checked out in `target`, or "" in a repository without one."""
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", "HEAD"],
        cwd=target,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return done.stdout.strip()


def checkout(repo: Repo, into: Path, mirrors: Path | None) -> str:
    target = into / repo.slug
    if not (target / ".git").exists():
        target.mkdir(parents=True, exist_ok=True)
        git("init", "-q", cwd=target)
    # origin is GitHub, as in a clone: a rehearsal's `fetch-depth: 0` fetches the history
    # and tags from there (or from the local mirrors that stand in for it)
    url = f"https://github.com/{repo.name}.git"
    if subprocess.run(
        ["git", "remote", "get-url", "origin"], cwd=target, capture_output=True
    ).returncode:
        git("remote", "add", "origin", url, cwd=target)
    else:
        git("remote", "set-url", "origin", url, cwd=target)
    if head(target) == repo.commit:
        return "kept"
    origin = source(repo, mirrors)
    try:
        git("fetch", "-q", "--depth", "1", origin, repo.commit, cwd=target)
    except subprocess.CalledProcessError:
        if not Path(origin).is_dir():
            raise
        return from_objects(target, Path(origin), repo.commit)
    git("-c", "advice.detachedHead=false", "checkout", "-q", "--force", repo.commit, cwd=target)
    git("clean", "-qfdx", cwd=target)
    return "checked out"


def from_objects(target: Path, mirror: Path, commit: str) -> str:
    """Check out `commit` from a mirror that git refuses to fetch from because it lacks
    some blobs (snapshots leave out their largest files): borrow the mirror's objects
    (alternates), write every file it has, and name the ones it has not.
    """
    objects = mirror / ".git" / "objects" if (mirror / ".git").is_dir() else mirror / "objects"
    (target / ".git" / "objects" / "info" / "alternates").write_text(f"{objects.resolve()}\n")
    git("read-tree", commit, cwd=target)
    # exits non-zero on a missing blob, after writing every other file
    subprocess.run(
        ["git", "checkout-index", "--all", "--force"],
        cwd=target,
        capture_output=True,
        check=False,
        timeout=600,
    )
    git("update-ref", "--no-deref", "HEAD", commit, cwd=target)
    git("clean", "-qfdx", cwd=target)
    lacking = absent(target)
    if not lacking:
        return "checked out from the mirror's objects"
    return f"checked out from the mirror's objects, without {', '.join(lacking)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("checkout", help="bring every repository to DIR at its commit")
    get.add_argument("dir", type=Path)
    get.add_argument("--mirrors", type=Path, help="folder of owner+name/repo git directories")
    get.add_argument("--only", nargs="*", default=(), help="these owner/name only")
    listing = commands.add_parser("list", help="print the manifest, one repository a line")
    for command in (get, listing):
        command.add_argument("--manifest", type=Path, default=MANIFEST, help=MANIFEST_HELP)
    args = parser.parse_args(argv)

    repos = load(args.manifest)
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
