"""Secret-scanner throughput against detect-secrets, and a 10,000-file analysis, in one run.

1. The text files of this virtualenv's site-packages (a large real tree) are scanned by
   our scanner (all of them) and by detect-secrets (a deterministic sample of the same
   list, since it is slow), each in this process on one core; MB/s of each and the
   ratio are printed, with our peak RSS measured before detect-secrets runs.
2. A synthetic 10,000-file repository is analysed with every analyser (stack, CI,
   secrets, zizmor, checks, score), and the wall time printed.

Run: `make bench` or `.venv/bin/python -m bench.scan`.
"""

from __future__ import annotations

import json
import resource
import site
import sys
import tempfile
import time
from pathlib import Path

from libs.analysis import Report, analyze
from libs.analysis.secrets import BINARY_EXTENSIONS, scanner
from libs.analysis.tree import DEFAULT_MAX_FILE_BYTES, is_binary

DETECT_SECRETS_SAMPLE_BYTES = 3_000_000
TARGET_RATIO = 50
TARGET_RSS_MB = 300
TARGET_TREE_SECONDS = 10.0


def text_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if path.suffix.lstrip(".").lower() in BINARY_EXTENSIONS:
            continue
        if path.stat().st_size > DEFAULT_MAX_FILE_BYTES:
            continue
        with open(path, "rb") as fh:
            if is_binary(fh.read(8192)):
                continue
        files.append(path)
    return files


def ours(files: list[Path]) -> tuple[float, int, int]:
    engine = scanner()
    total = found = 0
    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        total += len(data)
        found += len(engine.scan(data, str(path)))
    return time.perf_counter() - started, total, found


def detect_secrets(files: list[Path]) -> tuple[float, int, int]:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    step = max(1, sum(p.stat().st_size for p in files) // DETECT_SECRETS_SAMPLE_BYTES)
    sample = files[::step]
    total = sum(p.stat().st_size for p in sample)
    with default_settings():
        collection = SecretsCollection()
        started = time.perf_counter()
        for path in sample:
            collection.scan_file(str(path))
        elapsed = time.perf_counter() - started
    return elapsed, total, sum(len(v) for v in collection.data.values())


def synthetic_repo(root: Path, count: int = 10_000) -> None:
    """A monorepo-shaped tree: packages with code, configs, docs, tests and workflows."""
    body = "def handler(event, context):\n    token = event.get('token')\n    return token\n" * 30
    js = (
        "export function render(props) {\n  const apiKey = props.apiKey;\n  return apiKey;\n}\n"
        * 30
    )
    (root / ".github" / "workflows").mkdir(parents=True)
    workflow = (
        "on: [push]\npermissions:\n  contents: read\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
    )
    for i in range(3):
        (root / ".github" / "workflows" / f"ci{i}.yml").write_text(workflow)
    written = 3
    package = 0
    while written < count:
        pkg = root / "packages" / f"pkg{package:03d}"
        (pkg / "src").mkdir(parents=True)
        (pkg / "tests").mkdir()
        (pkg / "package.json").write_text(
            json.dumps({"name": f"pkg{package}", "dependencies": {"react": "^18"}})
        )
        (pkg / "pyproject.toml").write_text(
            f'[project]\nname = "pkg{package}"\ndependencies = ["flask"]\n'
        )
        (pkg / "README.md").write_text("# package\n" * 20)
        written += 3
        for j in range(47):
            if written >= count:
                break
            if j % 3 == 0:
                (pkg / "src" / f"mod{j}.py").write_text(body)
            elif j % 3 == 1:
                (pkg / "src" / f"comp{j}.js").write_text(js)
            else:
                (pkg / "tests" / f"test_{j}.py").write_text(body)
            written += 1
        package += 1


def timed_analysis(root: Path) -> tuple[float, float, Report]:
    """Wall seconds, and CPU seconds of this process plus its children (zizmor)."""

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    wall, used = time.perf_counter(), cpu()
    report = analyze(root)
    return time.perf_counter() - wall, cpu() - used, report


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    # first, while the heap is small: later phases leave detect-secrets' objects behind
    with tempfile.TemporaryDirectory(prefix="bench-tree-") as tmp:
        root = Path(tmp)
        synthetic_repo(root)
        wall, cpu, report = timed_analysis(root)
    print(
        f"10,000-file tree: {report.stats.files} files, {report.stats.bytes / 1e6:.1f} MB, "
        f"{len(report.stack.subprojects)} subprojects, zizmor {report.workflow_security.status}: "
        f"{cpu:.2f} s CPU ({wall:.2f} s wall) (target < {TARGET_TREE_SECONDS:g} s on one core)"
    )
    packages = Path(site.getsitepackages()[0])
    print(f"corpus: text files of {packages}")
    files = text_files(packages)
    scanner()  # build the automaton outside the timing
    elapsed, total, found = ours(files)
    our_rate = total / 1e6 / elapsed
    rss = peak_rss_mb()
    print(
        f"ours:           {total / 1e6:8.1f} MB in {elapsed:6.2f} s = {our_rate:8.2f} MB/s "
        f"({found} findings)"
    )
    ds_elapsed, ds_total, ds_found = detect_secrets(files)
    ds_rate = ds_total / 1e6 / ds_elapsed
    print(
        f"detect-secrets: {ds_total / 1e6:8.1f} MB in {ds_elapsed:6.2f} s = {ds_rate:8.2f} MB/s "
        f"({ds_found} findings, sample)"
    )
    ratio = our_rate / ds_rate
    print(f"ratio:          {ratio:8.1f}x (target >= {TARGET_RATIO}x)")
    print(f"our peak RSS:   {rss:8.1f} MB (target < {TARGET_RSS_MB} MB)")

    ok = ratio >= TARGET_RATIO and rss < TARGET_RSS_MB and cpu < TARGET_TREE_SECONDS
    print("result: " + ("all targets met" if ok else "TARGET MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
