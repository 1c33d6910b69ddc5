"""Security checks: the OpenSSF Scorecard ones a clone can answer, secrets, zizmor, Docker."""

from __future__ import annotations

import re

from libs.analysis.hygiene.actions import UNTRUSTED_INPUT, checks_out_pr_head, is_pinned, writes
from libs.analysis.hygiene.inputs import Inputs, absent, check, ratio_status
from libs.analysis.parsing import dig, listing, load_yaml
from libs.analysis.report import Check, CheckStatus, Evidence

BINARY_SUFFIXES = (
    ".exe",
    ".dll",
    ".so",
    ".dylib",
    ".jar",
    ".war",
    ".class",
    ".pyc",
    ".pyo",
    ".o",
    ".a",
    ".lib",
    ".bin",
    ".com",
    ".msi",
    ".apk",
    ".deb",
    ".rpm",
    ".whl",
    ".egg",
    ".elf",
    ".wasm",
)
SAST_MARKERS = re.compile(
    r"github/codeql-action|semgrep|sonarsource|sonarcloud|snyk|bandit|gosec|brakeman|psalm"
    r"|phpstan|njsscan|devskim|bearer/bearer-action|checkmarx|veracode|trivy",
    re.I,
)
# GitLab's own SAST: its template (Jobs/ or the older Security/ path) or its CI/CD component
_GITLAB_SAST_TEMPLATE = re.compile(
    r"^(?:Jobs|Security)/SAST(?:-IaC)?(?:\.latest)?\.gitlab-ci\.yml$", re.I
)
_GITLAB_SAST_COMPONENT = re.compile(r"/components/sast/sast@", re.I)
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I | re.M)
_USER = re.compile(r"^\s*USER\s+(\S+)", re.I | re.M)


def dangerous_workflow(inputs: Inputs) -> Check:
    if not inputs.workflows:
        return check("Dangerous-Workflow", "security", 10, "not_applicable", "no GitHub workflows")
    evidence: list[Evidence] = []
    for workflow in inputs.workflows:
        privileged = workflow.events & {"pull_request_target", "workflow_run"}
        for job in workflow.jobs:
            for step in job.steps:
                if privileged and checks_out_pr_head(step):
                    detail = "checks out untrusted pull request code in a privileged trigger"
                    line = workflow.line_of(str(step.with_.get("ref")))
                    evidence.append(Evidence(path=workflow.path, line=line, detail=detail))
                match = UNTRUSTED_INPUT.search(step.run or "")
                if match:
                    line = workflow.line_of(match.group(0))
                    detail = f"untrusted input expanded in a run script: {match.group(0)}"
                    evidence.append(Evidence(path=workflow.path, line=line, detail=detail))
    if evidence:
        return check(
            "Dangerous-Workflow",
            "security",
            10,
            "fail",
            f"{len(evidence)} dangerous pattern(s) in workflows",
            evidence=evidence,
            fix="Pass untrusted event fields through `env:` and quote them in scripts; never "
            "check out pull request code in pull_request_target or workflow_run jobs.",
        )
    return check("Dangerous-Workflow", "security", 10, "pass", "no dangerous workflow patterns")


def token_permissions(inputs: Inputs) -> Check:
    if not inputs.workflows:
        return check("Token-Permissions", "security", 8, "not_applicable", "no GitHub workflows")
    evidence: list[Evidence] = []
    good = 0
    for workflow in inputs.workflows:
        top = workflow.permissions
        if top is None:
            detail = "no top-level permissions: the token gets the repository default"
            evidence.append(Evidence(path=workflow.path, detail=detail))
        elif writes(top):
            detail = f"top-level write permissions: {', '.join(writes(top))}"
            evidence.append(
                Evidence(path=workflow.path, line=workflow.line_of("permissions"), detail=detail)
            )
        else:
            good += 1
    status = ratio_status(good, len(inputs.workflows))
    return check(
        "Token-Permissions",
        "security",
        8,
        status,
        f"{good} of {len(inputs.workflows)} workflows restrict the token at the top level",
        score=good / len(inputs.workflows),
        evidence=evidence,
        fix="Add `permissions: contents: read` at the top of each workflow and grant writes "
        "only to the jobs that need them.",
    )


def pinned_dependencies(inputs: Inputs) -> Check:
    total = 0
    evidence: list[Evidence] = []
    for workflow in inputs.workflows:
        uses = [s.uses for j in workflow.jobs for s in j.steps if s.uses]
        uses += [j.uses for j in workflow.jobs if j.uses and not j.uses.startswith("./")]
        for ref in uses:
            total += 1
            if not is_pinned(ref):
                detail = f"action not pinned to a commit SHA: {ref}"
                evidence.append(
                    Evidence(path=workflow.path, line=workflow.line_of(ref), detail=detail)
                )
    for path in inputs.stack.dockerfiles:
        for image, line in _base_images(inputs, path):
            total += 1
            if "@sha256:" not in image:
                detail = f"base image not pinned by digest: {image}"
                evidence.append(Evidence(path=path, line=line, detail=detail))
    if total == 0:
        return check(
            "Pinned-Dependencies", "security", 6, "not_applicable", "no actions or base images"
        )
    good = total - len(evidence)
    return check(
        "Pinned-Dependencies",
        "security",
        6,
        ratio_status(good, total),
        f"{good} of {total} actions and base images are pinned",
        score=good / total,
        evidence=evidence[:50],
        fix="Pin actions to full commit SHAs (with the version in a comment) and base images "
        "by digest; let Dependabot or Renovate keep the pins fresh.",
    )


def binary_artifacts(inputs: Inputs) -> Check:
    if not inputs.tree.files:
        return check("Binary-Artifacts", "security", 4, "not_applicable", "no files")
    found = [
        e.path
        for e in inputs.tree.files
        if e.name.lower().endswith(BINARY_SUFFIXES) and not e.name == "gradle-wrapper.jar"
    ]
    if found:
        return check(
            "Binary-Artifacts",
            "security",
            4,
            "fail",
            f"{len(found)} binary artifact(s) committed",
            evidence=[Evidence(path=p) for p in found[:50]],
            fix="Remove compiled binaries from the repository and build them in CI instead.",
        )
    return check("Binary-Artifacts", "security", 4, "pass", "no binary artifacts committed")


def sast(inputs: Inputs) -> Check:
    if not inputs.ci.pipelines and not inputs.stack.subprojects:
        return check("SAST", "security", 4, "not_applicable", "no code to analyse")
    for pipeline in inputs.ci.pipelines:
        text = inputs.tree.read_text(pipeline.path) or ""
        match = SAST_MARKERS.search(text)
        found = match.group(0) if match else None
        if found is None and pipeline.system == "gitlab_ci":
            found = _gitlab_sast_include(inputs, pipeline.path)
        if found is not None:
            evidence = [Evidence(path=pipeline.path, detail=found)]
            return check(
                "SAST", "security", 4, "pass", "static analysis runs in CI", evidence=evidence
            )
    return check(
        "SAST",
        "security",
        4,
        "fail",
        "no static application security testing in CI",
        evidence=[Evidence(path=p.path, detail="runs no SAST tool") for p in inputs.ci.pipelines]
        or absent("no CI pipeline to run SAST in"),
        fix="Run CodeQL (github/codeql-action) or Semgrep on pushes and pull requests.",
    )


def security_policy(inputs: Inputs) -> Check:
    if not inputs.tree.files:
        return check("Security-Policy", "security", 4, "not_applicable", "no files")
    path = inputs.find_doc("security")
    if path is not None:
        return check(
            "Security-Policy",
            "security",
            4,
            "pass",
            "a security policy exists",
            evidence=[Evidence(path=path)],
        )
    return check(
        "Security-Policy",
        "security",
        4,
        "fail",
        "no SECURITY.md",
        evidence=absent("no SECURITY file in the root, .github/ or docs/"),
        fix="Add SECURITY.md saying how to report a vulnerability privately.",
    )


def leaked_secrets(inputs: Inputs) -> Check:
    findings = inputs.secrets.findings
    if not findings and not inputs.secrets.files_scanned:
        # nothing was read, so nothing was shown to be clean: no points either way
        return check("leaked-secrets", "security", 15, "not_applicable", "no text files")
    if not findings:
        return check(
            "leaked-secrets",
            "security",
            15,
            "pass",
            f"no credentials found in {inputs.secrets.files_scanned} files",
        )
    # Serious findings first, so the evidence shows them before any fixture.
    ordered = sorted(findings, key=lambda f: f.severity == "low")
    evidence = [
        Evidence(path=f.path, line=f.line, detail=f"{f.description} ({f.preview})")
        for f in ordered[:50]
    ]
    total = len(findings) + inputs.secrets.findings_truncated
    fix = (
        "Revoke and rotate each credential now, move it to a secret store or CI secret, "
        "and remove it from git history (repo-migration/remove-secrets.sh)."
    )
    if all(f.severity == "low" for f in findings) and not inputs.secrets.findings_truncated:
        # Keyword, URL and connection-string matches in tests and documentation examples:
        # most are made-up values, some are not, so they cost a little and are listed.
        return check(
            "leaked-secrets",
            "security",
            15,
            "partial",
            f"{total} credential-like value(s) only in tests or documentation examples",
            score=0.75,
            evidence=evidence,
            fix="Check each value is not a real credential; if one is, " + fix[0].lower() + fix[1:],
        )
    return check(
        "leaked-secrets",
        "security",
        15,
        "fail",
        f"{total} likely credential(s) committed",
        evidence=evidence,
        fix=fix,
    )


def workflow_audit(inputs: Inputs) -> Check:
    result = inputs.workflow_security
    if result.status == "no_workflows":
        return check("workflow-audit", "security", 8, "not_applicable", "no GitHub workflows")
    if result.status == "not_run":
        return check("workflow-audit", "security", 8, "unknown", f"not run: {result.reason}")
    serious = [f for f in result.findings if f.severity in ("critical", "high")]
    others = [f for f in result.findings if f.severity in ("medium", "low")]
    evidence = [
        Evidence(path=f.path, line=f.line, detail=f"{f.audit}: {f.message}")
        for f in (serious + others)[:50]
    ]
    tool = result.tool or "zizmor"
    status: CheckStatus
    if serious:
        status, score = "fail", 0.0
    elif others:
        status, score = "partial", max(0.2, 1.0 - 0.1 * len(others))
    else:
        return check("workflow-audit", "security", 8, "pass", f"{tool} found nothing")
    return check(
        "workflow-audit",
        "security",
        8,
        status,
        f"{tool}: {len(serious)} high and {len(others)} medium/low finding(s)",
        score=score,
        evidence=evidence,
        fix="Fix the zizmor findings (each links to its audit's documentation); "
        "`zizmor --fix` applies the safe ones.",
    )


def dockerfile_non_root(inputs: Inputs) -> Check:
    if not inputs.stack.dockerfiles:
        return check("dockerfile-non-root", "security", 4, "not_applicable", "no Dockerfiles")
    root: list[Evidence] = []
    for path in inputs.stack.dockerfiles:
        text = inputs.tree.read_text(path) or ""
        stages = list(_FROM.finditer(text))
        final = text[stages[-1].start() :] if stages else text
        users = _USER.findall(final)
        if not users or users[-1].split(":", 1)[0] in ("root", "0"):
            root.append(Evidence(path=path, detail="the final stage runs as root"))
    good = len(inputs.stack.dockerfiles) - len(root)
    return check(
        "dockerfile-non-root",
        "security",
        4,
        ratio_status(good, len(inputs.stack.dockerfiles)),
        f"{good} of {len(inputs.stack.dockerfiles)} Dockerfiles run as a non-root user",
        score=good / len(inputs.stack.dockerfiles),
        evidence=root,
        fix="Create an unprivileged user and switch to it with `USER` in the final stage.",
    )


def dockerfile_pinned_base(inputs: Inputs) -> Check:
    images = [
        (p, image, line)
        for p in inputs.stack.dockerfiles
        for image, line in _base_images(inputs, p)
    ]
    if not images:
        return check("dockerfile-pinned-base", "security", 3, "not_applicable", "no base images")
    loose = [
        Evidence(path=p, line=line, detail=f"floating base image: {image}")
        for p, image, line in images
        if "@sha256:" not in image
        and (":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"))
    ]
    good = len(images) - len(loose)
    return check(
        "dockerfile-pinned-base",
        "security",
        3,
        ratio_status(good, len(images)),
        f"{good} of {len(images)} base images name a version or digest",
        score=good / len(images),
        evidence=loose,
        fix="Name an exact base image version (and preferably its digest) instead of `latest`.",
    )


def _base_images(inputs: Inputs, path: str) -> list[tuple[str, int]]:
    """External base images of a Dockerfile (stages built FROM earlier stages excluded)."""
    text = inputs.tree.read_text(path) or ""
    stages: set[str] = set()
    images: list[tuple[str, int]] = []
    for match in _FROM.finditer(text):
        image, alias = match.group(1), match.group(2)
        if image.lower() not in stages and image != "scratch" and "$" not in image:
            images.append((image, text.count("\n", 0, match.start()) + 1))
        if alias:
            stages.add(alias.lower())
    return images


def _gitlab_sast_include(inputs: Inputs, path: str) -> str | None:
    """The include of GitLab's SAST template or component, if the pipeline has one."""
    includes = dig(load_yaml(inputs.tree, path), "include")
    for item in listing(includes) if isinstance(includes, list) else [includes]:
        template, component = dig(item, "template"), dig(item, "component")
        if isinstance(template, str) and _GITLAB_SAST_TEMPLATE.match(template.strip()):
            return f"template: {template.strip()}"
        if isinstance(component, str) and _GITLAB_SAST_COMPONENT.search(component):
            return f"component: {component.strip()}"
    return None
