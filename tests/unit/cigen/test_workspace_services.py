"""A workspace root's job tests its packages, so it gets the containers they need."""

from __future__ import annotations

from libs.cigen import generate
from libs.cigen.validate.schema import parse_yaml
from tests.unit.cigen.reports import report, sub


def test_services_of_workspace_packages_reach_the_workspace_job() -> None:
    root = sub(
        manifest="package.json",
        managers=[("pnpm", "pnpm-lock.yaml")],
        lockfiles=["pnpm-lock.yaml"],
        tests=["vitest"],
        commands=[("test", "pnpm -r --if-present run test")],
    )
    api = sub(
        "apps/api",
        manifest="apps/api/package.json",
        managers=["pnpm"],
        tests=["vitest"],
        services=["postgres", "redis"],
        workspace_root=".",
    )
    for platform in ("github", "gitlab"):
        generation = generate(report(root, api), platform=platform)
        jobs = parse_yaml(generation.content)
        node = jobs["jobs"]["node"] if platform == "github" else jobs["node"]
        assert set(node["services"] if platform == "github" else _aliases(node)) == {
            "postgres",
            "redis",
        }
        assert generation.valid


def _aliases(job: dict[str, object]) -> list[str]:
    services = job["services"]
    assert isinstance(services, list)
    return [s["alias"] for s in services]
