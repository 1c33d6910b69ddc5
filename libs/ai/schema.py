"""The answer Gemini must give, as msgspec types: the response schema and its validator.

Bounds on numbers and lengths are sent to Gemini in the schema (`extra_json_schema`) but not
enforced when decoding: an answer a little out of range is clamped or trimmed, while an
answer of the wrong shape (missing field, wrong type, unknown category) is rejected whole.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec

from libs.ai.errors import AiBadOutput
from libs.analysis.report import Category, Effort, Severity
from libs.common.schemas import Usage

MAX_RECOMMENDATIONS = 10
MAX_EVIDENCE = 5
PRIORITY_MIN, PRIORITY_MAX = 1, 5
_TITLE_CHARS, _FIX_CHARS, _SUMMARY_CHARS, _PATH_CHARS = 120, 1200, 1500, 300


Path = Annotated[
    str,
    msgspec.Meta(
        description="A path that exists in the repository tree shown",
        extra_json_schema={"maxLength": _PATH_CHARS},
    ),
]
Title = Annotated[
    str,
    msgspec.Meta(
        description="Imperative and specific: what to do",
        extra_json_schema={"maxLength": _TITLE_CHARS},
    ),
]
Fix = Annotated[
    str,
    msgspec.Meta(
        description="A concrete change: the file to edit and what to put in it",
        extra_json_schema={"maxLength": _FIX_CHARS},
    ),
]
Summary = Annotated[
    str,
    msgspec.Meta(
        description="Two to four sentences on the repository's DevOps health",
        extra_json_schema={"maxLength": _SUMMARY_CHARS},
    ),
]


class AiEvidence(msgspec.Struct, kw_only=True):
    path: Path
    line: Annotated[
        int | None, msgspec.Meta(description="1-based line number, when one line is meant")
    ] = None


class AiRecommendation(msgspec.Struct, kw_only=True):
    title: Title
    category: Category
    severity: Severity
    effort: Effort
    priority: Annotated[
        int,
        msgspec.Meta(
            description="1 = do first, 5 = do last",
            extra_json_schema={"minimum": PRIORITY_MIN, "maximum": PRIORITY_MAX},
        ),
    ]
    evidence: Annotated[
        list[AiEvidence],
        msgspec.Meta(
            description="Files in the tree that show the problem; empty if a file is missing",
            extra_json_schema={"maxItems": MAX_EVIDENCE},
        ),
    ]
    fix: Fix


class AiAnalysis(msgspec.Struct, kw_only=True):
    summary: Summary
    recommendations: Annotated[
        list[AiRecommendation],
        msgspec.Meta(
            description="Most important first; none that the known findings already cover",
            extra_json_schema={"maxItems": MAX_RECOMMENDATIONS},
        ),
    ]


def response_schema() -> dict[str, Any]:
    """AiAnalysis as a self-contained JSON Schema (references inlined) for responseJsonSchema."""
    schema = msgspec.json.schema(AiAnalysis)
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                return inline(defs[ref.rsplit("/", 1)[-1]])
            out = {k: inline(v) for k, v in node.items()}
            enum = out.get("enum")
            if isinstance(enum, list) and all(isinstance(e, str) for e in enum):
                out.setdefault("type", "string")
            return out
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result


_decoder = msgspec.json.Decoder(AiAnalysis)


def parse_answer(text: str, usage: Usage) -> AiAnalysis:
    """Decode and normalise an answer, or raise AiBadOutput (invalid_json / invalid_schema)."""
    try:
        json.loads(text)
    except ValueError:
        raise AiBadOutput(
            "Gemini's answer was not valid JSON", outcome="invalid_json", usage=usage
        ) from None
    try:
        analysis = _decoder.decode(text)
    except msgspec.ValidationError as exc:
        raise AiBadOutput(
            f"Gemini's answer did not follow the schema: {exc}",
            outcome="invalid_schema",
            usage=usage,
        ) from None
    return _normalised(analysis)


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _normalised(analysis: AiAnalysis) -> AiAnalysis:
    recommendations = []
    for rec in analysis.recommendations[:MAX_RECOMMENDATIONS]:
        evidence = [
            AiEvidence(
                path=_clip(e.path, _PATH_CHARS),
                line=e.line if e.line is not None and e.line >= 1 else None,
            )
            for e in rec.evidence[:MAX_EVIDENCE]
        ]
        recommendations.append(
            AiRecommendation(
                title=_clip(rec.title, _TITLE_CHARS),
                category=rec.category,
                severity=rec.severity,
                effort=rec.effort,
                priority=min(max(rec.priority, PRIORITY_MIN), PRIORITY_MAX),
                evidence=evidence,
                fix=_clip(rec.fix, _FIX_CHARS),
            )
        )
    return AiAnalysis(
        summary=_clip(analysis.summary, _SUMMARY_CHARS), recommendations=recommendations
    )
