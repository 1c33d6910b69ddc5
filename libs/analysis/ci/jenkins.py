"""Jenkinsfiles, read without evaluating Groovy (best effort): the `sh`/`bat`/`powershell`
steps grouped by the stage they appear in, docker agent images, `environment` blocks and
`tools`. What a shared library or a computed string runs is not seen."""

from __future__ import annotations

import bisect
import re

from libs.analysis.ci.commands import classify, script_lines
from libs.analysis.ci.jobs import image_runtimes, redact
from libs.analysis.report import CiCommand, CiJob, CiRuntime, CiTrigger

_STRING = r"""('''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_STEP = re.compile(r"\b(sh|bat|powershell|pwsh)\s*\(?\s*(?:script\s*:\s*)?" + _STRING)
_STAGE = re.compile(r"\bstage\s*\(\s*(?:name\s*:\s*)?" + _STRING)
_IMAGE = re.compile(r"(?:\bimage\s*\(?\s*|docker\.image\s*\(\s*)" + _STRING)
_ENVIRONMENT = re.compile(r"\benvironment\s*\{([^{}]*)\}")
_ASSIGNMENT = re.compile(r"^\s*(\w+)\s*=\s*" + _STRING + r"?\s*(.*)$", re.M)
_TOOLS = re.compile(r"\btools\s*\{([^{}]*)\}")
_TOOL = re.compile(r"^\s*(\w+)\s+" + _STRING, re.M)
TOOL_RUNTIMES = {"jdk": "java", "nodejs": "node", "maven": "maven", "gradle": "gradle", "go": "go"}
SHELLS = {"sh": "sh", "bat": "cmd", "powershell": "powershell", "pwsh": "pwsh"}


def read(content: str, path: str) -> tuple[list[CiTrigger], list[CiJob]]:
    reader = _Reader(content)
    shared = CiJob(name="pipeline")
    for match in _ENVIRONMENT.finditer(content):
        target = reader.job_at(match.start()) or shared
        for name, quoted, rest in _ASSIGNMENT.findall(match.group(1)):
            value = _unquote(quoted) if quoted else rest.strip()
            target.env[name] = redact(name, value, path)
    for match in _IMAGE.finditer(content):
        target = reader.job_at(match.start()) or shared
        target.image = target.image or _unquote(match.group(1))
    for match in _TOOLS.finditer(content):
        for tool, label in _TOOL.findall(match.group(1)):
            if tool in TOOL_RUNTIMES:
                tools_line = reader.line_at(match.start())
                runtime = CiRuntime(
                    runtime=TOOL_RUNTIMES[tool],
                    versions=(_unquote(label),),
                    source="tools",
                    line=tools_line,
                )
                shared.runtimes.append(runtime)
    for match in _STEP.finditer(content):
        job = reader.job_at(match.start()) or reader.top(match.start())
        first = reader.line_at(match.start(2))
        for command, line in script_lines(_unquote(match.group(2)), first):
            shell = SHELLS[match.group(1)]
            job.commands.append(
                CiCommand(
                    run=command, kind=classify(command), line=line, step=job.name, shell=shell
                )
            )
    result = list(reader.jobs.values()) or ([shared] if shared.image or shared.env else [])
    for job in result:
        job.env = {**shared.env, **job.env}
        job.image = job.image or shared.image
        images = [job.image] if job.image else []
        known = {r.runtime for r in shared.runtimes}
        job.runtimes = shared.runtimes + image_runtimes(images, None, known)
    return [CiTrigger(event="push")], result


class _Reader:
    """Positions in a Jenkinsfile: the line of an offset, and the stage it falls in."""

    def __init__(self, content: str) -> None:
        self.newlines = [m.start() for m in re.finditer(r"\n", content)]
        self.stages = [(m.start(), _unquote(m.group(1))) for m in _STAGE.finditer(content)]
        self.starts = [start for start, _ in self.stages]
        self.jobs: dict[str, CiJob] = {}

    def line_at(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1

    def job_at(self, offset: int) -> CiJob | None:
        """The job of the stage enclosing `offset` (the last one declared before it)."""
        index = bisect.bisect_right(self.starts, offset) - 1
        if index < 0:
            return None
        start, name = self.stages[index]
        if name not in self.jobs:
            self.jobs[name] = CiJob(name=name, line=self.line_at(start))
        return self.jobs[name]

    def top(self, offset: int) -> CiJob:
        """Steps before any stage (a scripted pipeline without stages)."""
        if "" not in self.jobs:
            self.jobs[""] = CiJob(name="pipeline", line=self.line_at(offset))
        return self.jobs[""]


def _unquote(literal: str) -> str:
    for quote in ("'''", '"""', "'", '"'):
        if literal.startswith(quote) and literal.endswith(quote) and len(literal) >= 2 * len(quote):
            return literal[len(quote) : -len(quote)]
    return literal
