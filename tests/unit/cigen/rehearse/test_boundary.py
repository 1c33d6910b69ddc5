"""The rehearsal executes repository code: the platform's worker must never load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]


def test_the_worker_never_imports_the_rehearsal() -> None:
    probe = (
        "import pkgutil, importlib, sys\n"
        "import services.worker as w\n"
        "for m in pkgutil.walk_packages(w.__path__, 'services.worker.'):\n"
        "    importlib.import_module(m.name)\n"
        "import libs.cigen\n"
        "loaded = sorted(n for n in sys.modules if n.startswith('libs.cigen.rehearse'))\n"
        "print(len([n for n in sys.modules if n.startswith('services.worker')]), loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    count, loaded = done.stdout.split(" ", 1)
    assert int(count) > 5  # the worker's modules were really imported
    assert loaded.strip() == "[]"
