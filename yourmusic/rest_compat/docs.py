"""/docs: the OpenAPI document rendered as one self-contained HTML page (no CDN, works offline)."""

from __future__ import annotations

import html
import json
from typing import Any


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_docs(spec: dict[str, Any]) -> str:
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {t["name"]: [] for t in spec.get("tags", [])}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault(op["tags"][0], []).append((method.upper(), path, op))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(spec['info']['title'])} {_e(spec['info']['version'])}</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "h2{border-bottom:1px solid #ddd;padding-top:1rem}.op{margin:1rem 0;padding:.5rem 1rem;border:1px solid #e3e3e3;"
        "border-radius:6px}.m{font-weight:700;font-family:monospace;padding:0 .4rem;border-radius:3px;background:#eef}"
        "code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f7f7f7;padding:.5rem;overflow:auto}"
        "details summary{cursor:pointer}</style></head><body>",
        f"<h1>{_e(spec['info']['title'])} <small>{_e(spec['info']['version'])}</small></h1>",
        f"<p>{_e(spec['info'].get('description', ''))}</p><p><a href='/openapi.json'>openapi.json</a> · "
        "<a href='/graphql'>GraphiQL</a></p>",
    ]
    for tag, ops in by_tag.items():
        parts.append(f"<h2 id='{_e(tag)}'>{_e(tag)}</h2>")
        for method, path, op in ops:
            security = ", ".join(k for s in op.get("security", []) for k in s) or "none"
            parts.append(
                f"<div class='op' id='{_e(op['operationId'])}'><h3><span class='m'>{method}</span> <code>{_e(path)}</code>"
                f" — {_e(op['summary'])}</h3><p>{_e(op.get('description', ''))}</p>"
                f"<p>Auth: <b>{_e(security)}</b> · GraphQL twin: <code>{_e(op.get('x-graphql', ''))}</code></p>"
            )
            for param in op.get("parameters", []):
                parts.append(
                    f"<div>{_e(param['in'])} <code>{_e(param['name'])}</code>"
                    f"{' (required)' if param.get('required') else ''}</div>"
                )
            if "requestBody" in op:
                body = next(iter(op["requestBody"]["content"].values()))["schema"]
                parts.append(f"<details><summary>Request body</summary><pre>{_e(json.dumps(body, indent=2))}</pre></details>")
            parts.append("<ul>")
            for status, response in op["responses"].items():
                parts.append(f"<li><b>{_e(status)}</b> {_e(response['description'])}</li>")
            parts.append("</ul></div>")
    parts.append(
        f"<h2>Schemas</h2><details><summary>components</summary><pre>"
        f"{_e(json.dumps(spec['components'], indent=2))}</pre></details></body></html>"
    )
    return "".join(parts)
