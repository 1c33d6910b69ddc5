"""SARIF 2.1.0 as GitHub code scanning accepts it.

Secrets, zizmor findings and failed checks become results; each has a rule with a
`security-severity`, a relative location and a stable fingerprint that contains no
secret material.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from libs.analysis.report import REPORT_VERSION, Report, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "3.0",
    "info": "1.0",
}


@dataclass
class _Log:
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)

    def rule(
        self,
        rule_id: str,
        name: str,
        description: str,
        severity: Severity,
        help_text: str,
        tags: list[str],
        help_uri: str | None = None,
    ) -> int:
        if rule_id not in self.rules:
            rule: dict[str, Any] = {
                "id": rule_id,
                "name": name,
                "shortDescription": {"text": description},
                "fullDescription": {"text": description},
                "help": {"text": help_text},
                "defaultConfiguration": {"level": _LEVEL[severity]},
                "properties": {"security-severity": _SECURITY_SEVERITY[severity], "tags": tags},
            }
            if help_uri:
                rule["helpUri"] = help_uri
            self.rules[rule_id] = rule
        return list(self.rules).index(rule_id)

    def result(
        self,
        rule_id: str,
        index: int,
        severity: Severity,
        message: str,
        path: str,
        line: int | None,
    ) -> None:
        fingerprint = hashlib.sha256(
            f"{rule_id}\0{path}\0{line or 0}\0{message}".encode()
        ).hexdigest()
        self.results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": index,
                "level": _LEVEL[severity],
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": max(1, line or 1)},
                        }
                    }
                ],
                "partialFingerprints": {"autodevops/v1": fingerprint},
            }
        )


def render_sarif(report: Report) -> str:
    log = _Log()
    for f in report.secrets.findings:
        index = log.rule(
            f"secret/{f.rule}",
            f.rule,
            f.description,
            f.severity,
            "Revoke and rotate the credential, move it to a secret store, and remove it from "
            "the git history.",
            ["security", "secret"],
        )
        log.result(
            f"secret/{f.rule}", index, f.severity, f"{f.description} ({f.preview})", f.path, f.line
        )
    for w in report.workflow_security.findings:
        if not w.path:
            continue
        index = log.rule(
            f"workflow/{w.audit}",
            w.audit,
            w.message.split(":", 1)[0],
            w.severity,
            f"See {w.url}" if w.url else "See the zizmor documentation.",
            ["security", "github-actions"],
            w.url,
        )
        log.result(f"workflow/{w.audit}", index, w.severity, w.message, w.path, w.line)
    severity_of = {r.id.removeprefix("det-"): r.severity for r in report.recommendations}
    for check in report.checks:
        if check.status not in ("fail", "partial") or check.id == "leaked-secrets":
            continue
        located = [e for e in check.evidence if e.path not in ("", ".")]
        if not located:
            continue  # code scanning needs a location; the other formats list these
        severity = severity_of.get(check.id.lower(), "medium")
        index = log.rule(
            f"check/{check.id}",
            check.id,
            check.message,
            severity,
            check.fix or check.message,
            sorted(
                {"security" if check.category == "security" else "maintainability", check.category}
            ),
        )
        for e in located[:50]:
            text = f"{check.message}: {e.detail}" if e.detail else check.message
            log.result(f"check/{check.id}", index, severity, text, e.path, e.line)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "AutoDevOps",
                        "informationUri": "https://github.com/autodevops/autodevops",
                        "semanticVersion": f"{REPORT_VERSION}.0.0",
                        "rules": list(log.rules.values()),
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
                "results": log.results,
                "properties": {"score": report.score.overall, "band": report.score.band},
            }
        ],
    }
    if report.commit:
        document["runs"][0]["versionControlProvenance"] = [  # type: ignore[index]
            {"repositoryUri": "https://github.com/unknown/unknown", "revisionId": report.commit}
        ]
    return json.dumps(document, indent=2) + "\n"
