#!/usr/bin/env python3
"""Breaking-change check of the committed contracts against the previous commit (run by .ci/run).

- schema.graphql: graphql-core's `find_breaking_changes` (fails) and `find_dangerous_changes` (warns).
- openapi.json: the REST contract may only grow. Everything the previous document held must still be
  there unchanged (paths, methods, parameters, response codes, schemas and their properties, enums, types);
  only documentation text (descriptions, summaries, examples) may change. A new required parameter or a
  new required request field is breaking too.

A breaking change fails the check unless the commit message of HEAD carries the marker
`[breaking-change]` (see the README, "Contracts"). No previous commit, or no such file there (the first
time): nothing to compare, the check passes.

    python scripts/check_contracts.py [--base REV]    (default: HEAD~1)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

MARKER = "[breaking-change]"
SDL_FILE = "schema.graphql"
OPENAPI_FILE = "openapi.json"
# Keys whose values are documentation only: free to change.
DOC_KEYS = {"description", "summary", "example", "examples", "title", "externalDocs", "x-graphql"}


def git(root: Path, *args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


# --------------------------------------------------------------------------- GraphQL


def graphql_changes(old_sdl: str, new_sdl: str) -> tuple[list[str], list[str]]:
    """(breaking, dangerous) changes between two SDL documents."""
    from graphql import build_schema, find_breaking_changes, find_dangerous_changes

    old, new = build_schema(old_sdl), build_schema(new_sdl)
    breaking = [f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)]
    dangerous = [f"{c.type.name}: {c.description}" for c in find_dangerous_changes(old, new)]
    return breaking, dangerous


# --------------------------------------------------------------------------- OpenAPI


def _refs(doc: dict[str, Any], parts: tuple[str, ...]) -> set[str]:
    """Component schemas reachable from these parts of the operations (requestBody/parameters, responses)."""
    schemas = doc.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    walk(schemas.get(name))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for methods in doc.get("paths", {}).values():
        for op in methods.values():
            if isinstance(op, dict):
                for part in parts:
                    walk(op.get(part))
    return seen


REQUEST, RESPONSE = "request", "response"


# The component schemas of the two documents, while `openapi_changes` compares them: a `$ref` that names
# another component is compared by what the components hold, not by their names.
_SCHEMAS: dict[str, dict[str, Any]] = {"old": {}, "new": {}}
_PREFIX = "#/components/schemas/"


def _compare_refs(old: str, new: str, where: str, problems: list[str], sides: frozenset[str],
                  seen: frozenset[tuple[str, str]]) -> None:
    """A `$ref` renamed: fine when the new component holds everything the old one did (a generator may need
    two names for one shape, e.g. one per media type)."""
    if not (old.startswith(_PREFIX) and new.startswith(_PREFIX)) or (old, new) in seen:
        if (old, new) not in seen:
            problems.append(f"{where}: changed {old!r} -> {new!r}")
        return
    old_name, new_name = old[len(_PREFIX):], new[len(_PREFIX):]
    if new_name not in _SCHEMAS["new"] or old_name not in _SCHEMAS["old"]:
        problems.append(f"{where}: changed {old!r} -> {new!r}")
        return
    _compare(_SCHEMAS["old"][old_name], _SCHEMAS["new"][new_name], f"{where}({old_name} -> {new_name})", problems,
             sides, seen | {(old, new)})


def _compare(old: Any, new: Any, where: str, problems: list[str], sides: frozenset[str],
             seen: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Report what of `old` is missing or different in `new`. `sides`: whether this node describes what
    callers send (a new requirement breaks them) and/or what they receive (a dropped guarantee breaks them)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in old.items():
            if key in DOC_KEYS:
                continue
            if key == "$ref" and isinstance(value, str) and isinstance(new.get(key), str) and new[key] != value:
                _compare_refs(value, new[key], f"{where}/$ref", problems, sides, seen)
                continue
            if key == "required" and isinstance(value, bool):  # a parameter's or a request body's flag
                if not value and new.get(key) is True and REQUEST in sides:
                    problems.append(f"{where}: became required")
                continue
            if key not in new:
                problems.append(f"{where}/{key}: removed")
                continue
            if key == "parameters" and isinstance(value, list):
                _compare_parameters(value, new[key], f"{where}/parameters", problems)
            elif key == "required" and isinstance(value, list):
                added, dropped = set(new[key]) - set(value), set(value) - set(new[key])
                if added and REQUEST in sides:
                    problems.append(f"{where}/required: newly required {sorted(added)}")
                if dropped and RESPONSE in sides:
                    problems.append(f"{where}/required: no longer guaranteed {sorted(dropped)}")
            else:
                inner = sides
                if key == "requestBody":
                    inner = frozenset({REQUEST})
                elif key == "responses":
                    inner = frozenset({RESPONSE})
                _compare(value, new[key], f"{where}/{key}", problems, inner, seen)
        if REQUEST in sides:
            if new.get("required") is True and "required" not in old:
                problems.append(f"{where}: became required")
            elif isinstance(new.get("required"), list) and new["required"] and "required" not in old:
                problems.append(f"{where}/required: newly required {sorted(new['required'])}")
    elif isinstance(old, list) and isinstance(new, list):
        if all(not isinstance(v, (dict, list)) for v in old):  # enums, types, tags: items may only be added
            missing = [v for v in old if v not in new]
            if missing:
                problems.append(f"{where}: removed {missing}")
        else:
            if len(new) < len(old):
                problems.append(f"{where}: {len(old) - len(new)} item(s) removed")
            for i, (a, b) in enumerate(zip(old, new)):
                _compare(a, b, f"{where}/{i}", problems, sides, seen)
    elif old != new:
        problems.append(f"{where}: changed {old!r} -> {new!r}")


def _compare_parameters(old: list[Any], new: list[Any], where: str, problems: list[str]) -> None:
    key = lambda p: (p.get("in"), p.get("name"))  # noqa: E731
    new_by_key = {key(p): p for p in new if isinstance(p, dict)}
    old_keys = {key(p) for p in old if isinstance(p, dict)}
    for param in old:
        k = key(param)
        if k not in new_by_key:
            problems.append(f"{where}/{k[0]}:{k[1]}: removed")
            continue
        _compare(param, new_by_key[k], f"{where}/{k[0]}:{k[1]}", problems, frozenset({REQUEST}))
    for k, param in new_by_key.items():
        if k not in old_keys and param.get("required"):
            problems.append(f"{where}/{k[0]}:{k[1]}: new required parameter")


def openapi_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `old` is gone or changed in `new` (additions are fine)."""
    problems: list[str] = []
    _SCHEMAS["old"] = old.get("components", {}).get("schemas", {})
    _SCHEMAS["new"] = new.get("components", {}).get("schemas", {})
    _compare(old.get("paths", {}), new.get("paths", {}), "paths", problems, frozenset())
    request_schemas = _refs(old, ("requestBody", "parameters")) | _refs(new, ("requestBody", "parameters"))
    response_schemas = _refs(old, ("responses",)) | _refs(new, ("responses",))
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            problems.append(f"components/schemas/{name}: removed")
            continue
        sides = frozenset({REQUEST} if name in request_schemas else set()) | \
            frozenset({RESPONSE} if name in response_schemas else set())
        _compare(schema, new_schemas[name], f"components/schemas/{name}", problems, sides)
    _compare(old.get("components", {}).get("securitySchemes", {}),
             new.get("components", {}).get("securitySchemes", {}), "components/securitySchemes", problems,
             frozenset())
    return problems


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="HEAD~1", help="the revision to compare with (default: HEAD~1)")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    args = parser.parse_args(argv)
    root = Path(args.root)

    if git(root, "rev-parse", "--verify", "--quiet", f"{args.base}^{{commit}}") is None:
        print(f"contracts: no {args.base} to compare with (first commit): nothing to check")
        return 0
    message = git(root, "log", "-1", "--format=%B", "HEAD") or ""
    allowed = MARKER in message

    breaking: list[str] = []
    for name in (SDL_FILE, OPENAPI_FILE):
        current = root / name
        if not current.exists():
            print(f"contracts: {name} is missing; create it with: .venv/bin/yourmusic schema export")
            return 1
        previous = git(root, "show", f"{args.base}:{name}")
        if previous is None:
            print(f"contracts: {name} is new since {args.base}: nothing to compare")
            continue
        if name == SDL_FILE:
            found, dangerous = graphql_changes(previous, current.read_text(encoding="utf-8"))
            for change in dangerous:
                print(f"contracts: warning: {name}: dangerous change: {change}")
        else:
            found = openapi_changes(json.loads(previous), json.loads(current.read_text(encoding="utf-8")))
        for change in found:
            print(f"contracts: {name}: BREAKING: {change}")
        breaking += found
        if not found:
            print(f"contracts: {name}: no breaking change since {args.base}")

    if breaking and not allowed:
        print(f"contracts: {len(breaking)} breaking change(s). If they are intended, say so in the commit message "
              f"with {MARKER} (README, 'Contracts'); otherwise keep the old shape (add, deprecate, never remove).")
        return 1
    if breaking:
        print(f"contracts: {len(breaking)} breaking change(s) accepted: the commit message carries {MARKER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
