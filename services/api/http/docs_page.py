"""/docs: the OpenAPI document rendered as one self-contained HTML page (no scripts, no
CDN), so it works on an air-gapped install and cannot drift from /openapi.json."""

from __future__ import annotations

import json
from html import escape
from typing import Any

CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}
h2{border-bottom:1px solid #ddd;margin-top:2em}h3{margin:1.5em 0 .3em}
code,pre{font:13px ui-monospace,monospace;background:#f5f5f5}pre{padding:.6em;overflow:auto}
.m{display:inline-block;min-width:4.5em;font-weight:bold}.get{color:#1a7f37}.post{color:#0969da}
.patch{color:#8250df}.delete{color:#cf222e}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
"""
INTRO = """
<p>Every <code>/v1</code> route takes an API token (<code>Authorization: Bearer ado_...</code>)
or the browser session cookie set by GitHub sign-in; a token acts in one organization, and
another organization's objects answer 404. Errors are <code>application/problem+json</code>
(RFC 9457) with the stable <code>type</code>s listed under <a href="#problems">Problem types</a>.
Rate-limited routes send <code>RateLimit-*</code> headers and answer 429 with
<code>Retry-After</code>. The machine-readable description is
<a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
"""


def _anchor(method: str, path: str) -> str:
    return f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")


def _schema_link(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}"><code>{escape(name)}</code></a>'
    return f"<code>{escape(json.dumps(schema))}</code>"


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    parts = [
        f'<h3 id="{_anchor(method, path)}"><span class="m {method}">{method.upper()}</span>'
        f"<code>{escape(path)}</code></h3>",
        f"<p><b>{escape(op['summary'])}</b></p>",
    ]
    if op.get("description"):
        parts.append(f"<p>{escape(op['description'])}</p>")
    security = " or ".join(next(iter(s)) for s in op["security"]) or "none"
    parts.append(
        f"<p>Security: <code>{escape(security)}</code> · rate limit: "
        f"<code>{escape(op['x-rate-limit'])}</code></p>"
    )
    params = op.get("parameters", [])
    if params:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{p['in']}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td><td>{_schema_link(p['schema'])}"
            f" {escape(p.get('description', ''))}</td></tr>"
            for p in params
        )
        parts.append(
            "<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>"
            f"{rows}</table>"
        )
    body = op.get("requestBody")
    if body:
        schema = body["content"]["application/json"]["schema"]
        parts.append(f"<p>Request body (application/json): {_schema_link(schema)}</p>")
    rows = ""
    for status, response in op["responses"].items():
        content = response.get("content", {})
        shown = ", ".join(
            f"{escape(media)} {_schema_link(c['schema'])}" for media, c in content.items()
        )
        rows += (
            f"<tr><td>{status}</td><td>{escape(response['description'])}</td><td>{shown}</td></tr>"
        )
    parts.append(f"<table><tr><th>status</th><th>meaning</th><th>body</th></tr>{rows}</table>")
    return "\n".join(parts)


def render(document: dict[str, Any]) -> str:
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{escape(document['info']['title'])}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(document['info']['title'])} {escape(document['info']['version'])}</h1>",
        INTRO,
        "<h2>Operations</h2><ul>",
    ]
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            out.append(
                f'<li><a href="#{_anchor(method, path)}">{method.upper()} {escape(path)}</a>'
                f" — {escape(op['summary'])}</li>"
            )
    out.append("</ul>")
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            out.append(_operation(method, path, op))
    out.append("<h2>Security schemes</h2><table>")
    for name, scheme in document["components"]["securitySchemes"].items():
        out.append(
            f'<tr id="security-{escape(name)}"><td><code>{escape(name)}</code></td>'
            f"<td>{escape(scheme.get('description', ''))}</td></tr>"
        )
    out.append('</table><h2 id="problems">Problem types</h2><table>')
    for problem in document["x-problem-types"]:
        slug = problem["type"].rsplit("/", 1)[-1]
        out.append(
            f'<tr id="problem-{escape(slug)}"><td>{problem["status"]}</td>'
            f"<td><code>{escape(problem['type'])}</code></td>"
            f"<td>{escape(problem['title'])}</td></tr>"
        )
    out.append("</table><h2>Schemas</h2>")
    for name, schema in document["components"]["schemas"].items():
        out.append(
            f'<h3 id="schema-{escape(name)}"><code>{escape(name)}</code></h3>'
            f"<pre>{escape(json.dumps(schema, indent=2))}</pre>"
        )
    out.append("</body></html>")
    return "\n".join(out)
