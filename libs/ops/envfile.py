"""Set variables in a dotenv file (what compose's `env_file` reads) without losing the rest."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_UNSAFE = re.compile(r"[\s'\"\\$`#]")


class EnvFileError(Exception):
    """The name or value cannot be written safely; the message says which."""


def set_vars(path: Path, values: dict[str, str]) -> None:
    """Replace (or append) `NAME=value` lines, atomically, leaving the file mode 0600."""
    for name, value in values.items():
        if not _NAME.match(name):
            raise EnvFileError(f"{name!r} is not a variable name")
        if not value or _UNSAFE.search(value):
            raise EnvFileError(f"the value for {name} is empty or has characters that need quoting")
    lines = path.read_text().splitlines() if path.exists() else []
    pending = dict(values)
    out = []
    for line in lines:
        name = line.split("=", 1)[0].strip().removeprefix("export ").strip()
        if name in pending:
            out.append(f"{name}={pending.pop(name)}")
        else:
            out.append(line)
    out.extend(f"{name}={value}" for name, value in pending.items())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(out) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
