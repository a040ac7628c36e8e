"""The committed contracts (schema.graphql, openapi.json) are current, and the breaking-change check
(scripts/check_contracts.py, run by .ci/run) catches what breaks clients and lets additions through."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from yourmusic import contracts

ROOT = Path(__file__).resolve().parents[1]
STALE = "{name} is stale: it no longer matches the code. Refresh it with `{cmd}` and commit it."


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_contracts", ROOT / "scripts" / "check_contracts.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def test_committed_sdl_is_current():
    committed = (ROOT / contracts.SDL_FILE).read_text(encoding="utf-8")
    assert committed == contracts.sdl(), STALE.format(name=contracts.SDL_FILE, cmd=contracts.REFRESH_COMMAND)


def test_committed_openapi_is_current():
    committed = (ROOT / contracts.OPENAPI_FILE).read_text(encoding="utf-8")
    assert committed == contracts.openapi_text(), STALE.format(name=contracts.OPENAPI_FILE, cmd=contracts.REFRESH_COMMAND)


async def test_served_openapi_is_the_committed_one(api):
    served = (await api.http.get("/openapi.json")).json()
    assert served == json.loads((ROOT / contracts.OPENAPI_FILE).read_text(encoding="utf-8"))


@pytest.mark.slow  # a subprocess
def test_export_check_command(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "yourmusic.cli", "schema", "export", "--dir", str(tmp_path), *a],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True)
    stale = run("--check")
    assert stale.returncode == 1 and contracts.REFRESH_COMMAND in stale.stderr
    assert run().returncode == 0
    assert (tmp_path / "schema.graphql").read_text() == contracts.sdl()
    assert run("--check").returncode == 0


def test_deprecations_carry_a_reason():
    from yourmusic.schema import build_schema

    schema = build_schema()._schema
    missing = []
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for name, field in type_.fields.items():
                members = [(name, field), *((f"{name}({a})", arg) for a, arg in getattr(field, "args", {}).items())]
                for label, member in members:
                    reason = member.deprecation_reason
                    if reason is not None and (not reason.strip() or reason == "No longer supported"):
                        missing.append(f"{type_.name}.{label}")
        if isinstance(type_, GraphQLEnumType):
            for name, value in type_.values.items():
                if value.deprecation_reason is not None and not value.deprecation_reason.strip():
                    missing.append(f"{type_.name}.{name}")
    assert not missing, f"@deprecated without a reason: {missing}"


# --------------------------------------------------------------------------- the GraphQL check

SDL = "type Query { a: String! b(x: Int): Int }\n"


def test_graphql_removal_is_breaking_addition_is_not():
    breaking, _ = checker.graphql_changes(SDL, "type Query { a: String! }\n")
    assert breaking and "b" in breaking[0]
    breaking, dangerous = checker.graphql_changes(SDL, "type Query { a: String! b(x: Int, y: Int): Int c: Int }\n")
    assert breaking == [] and dangerous == ["OPTIONAL_ARG_ADDED: An optional argument Query.b(y:) was added."]
    breaking, _ = checker.graphql_changes(SDL, "type Query { a: String! b(x: Int!): Int }\n")
    assert breaking  # an optional argument made required
    assert checker.graphql_changes(SDL, 'type Query { a: String! b(x: Int): Int @deprecated(reason: "use a") }\n')[0] == []


def test_the_committed_sdl_compares_clean_with_itself():
    sdl = (ROOT / "schema.graphql").read_text()
    assert checker.graphql_changes(sdl, sdl) == ([], [])


# --------------------------------------------------------------------------- the OpenAPI check


def _spec():
    return json.loads((ROOT / contracts.OPENAPI_FILE).read_text(encoding="utf-8"))


def test_openapi_additions_and_doc_edits_pass():
    old, new = _spec(), _spec()
    assert checker.openapi_changes(old, new) == []
    new["paths"]["/api/new"] = {"get": {"operationId": "new", "responses": {"200": {"description": "ok"}}}}
    new["paths"]["/api/users"]["get"]["parameters"].append({"name": "sort", "in": "query", "required": False,
                                                             "schema": {"type": "string"}})
    new["paths"]["/api/users"]["get"]["responses"]["418"] = {"description": "teapot"}
    new["paths"]["/api/users"]["get"]["summary"] = "List the users"
    new["paths"]["/api/users"]["get"]["description"] = "Reworded."
    new["components"]["schemas"]["UserOut"]["properties"]["nickname"] = {"type": "string"}
    new["components"]["schemas"]["Brand_New"] = {"type": "object"}
    assert checker.openapi_changes(old, new) == []


def _renamed_body_ref(change: str | None) -> list[str]:
    """The token endpoint's form body pointed at a copy of its component (as a generator needs one class per
    media type), the copy then changed by `change`."""
    old, new = _spec(), _spec()
    for spec in (old, new):  # as the contract had it: one component under both media types
        spec["paths"]["/api/oauth/token"]["post"]["requestBody"]["content"][
            "application/x-www-form-urlencoded"]["schema"] = {"$ref": "#/components/schemas/TokenRequest"}
    schemas = new["components"]["schemas"]
    schemas["TokenRequestCopy"] = {**copy.deepcopy(schemas["TokenRequest"]), "title": "Copy", "description": "x"}
    new["paths"]["/api/oauth/token"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"][
        "schema"] = {"$ref": "#/components/schemas/TokenRequestCopy"}
    if change == "newly required":
        schemas["TokenRequestCopy"]["required"].append("scope")
    elif change == "type changed":
        schemas["TokenRequestCopy"]["properties"]["client_id"]["type"] = "integer"
    elif change == "dangling":
        del schemas["TokenRequestCopy"]
    return checker.openapi_changes(old, new)


def test_a_ref_renamed_to_an_equal_component_passes_a_narrower_one_fails():
    assert _renamed_body_ref(None) == []
    for change in ("newly required", "type changed", "dangling"):
        assert _renamed_body_ref(change), change


@pytest.mark.parametrize("change", [
    "removed path", "removed method", "removed response", "removed property", "removed parameter",
    "new required parameter", "parameter made required", "new required body field", "enum value removed",
    "type changed",
])
def test_openapi_removals_and_new_requirements_fail(change):
    old = _spec()
    new = copy.deepcopy(old)
    paths, schemas = new["paths"], new["components"]["schemas"]
    if change == "removed path":
        del paths["/api/heartbeat"]
    elif change == "removed method":
        del paths["/api/users/{user_id}"]["put"]
    elif change == "removed response":
        del paths["/api/users/{user_id}"]["get"]["responses"]["404"]
    elif change == "removed property":
        del schemas["UserOut"]["properties"]["pm_type"]
    elif change == "removed parameter":
        paths["/api/users"]["get"]["parameters"].pop()
    elif change == "new required parameter":
        paths["/api/users"]["get"]["parameters"].append({"name": "sort", "in": "query", "required": True,
                                                         "schema": {"type": "string"}})
    elif change == "parameter made required":
        paths["/api/users"]["get"]["parameters"][0]["required"] = True
    elif change == "new required body field":
        ref = paths["/api/playlists"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[ref.rsplit("/", 1)[1]]
        body.setdefault("required", []).append("public")
    elif change == "enum value removed":
        schemas["UserOut"]["properties"]["status"]["enum"].remove("PAST_DUE")
    elif change == "type changed":
        paths["/api/users"]["get"]["parameters"][0]["schema"]["type"] = "string"
    assert checker.openapi_changes(old, new), change


# --------------------------------------------------------------------------- the script on real commits


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


def _commit(repo: Path, sdl: str, spec: dict, message: str) -> None:
    (repo / "schema.graphql").write_text(sdl)
    (repo / "openapi.json").write_text(json.dumps(spec))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _check(repo: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_contracts.py"), "--root", str(repo)],
                            capture_output=True, text=True)
    return result.returncode, result.stdout


@pytest.mark.slow  # a subprocess
def test_script_against_the_previous_commit(tmp_path):
    _git(tmp_path, "init", "-q")
    spec = {"openapi": "3.1.0", "paths": {"/api/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    (tmp_path / "README").write_text("x")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "first")
    assert _check(tmp_path)[0] == 0  # no previous commit: passes
    _commit(tmp_path, SDL, spec, "contracts appear")
    code, out = _check(tmp_path)
    assert code == 0 and "nothing to compare" in out  # no previous file: passes

    _commit(tmp_path, SDL.replace("b(x: Int): Int", "b(x: Int): Int c: Int"), spec, "add a field")
    assert _check(tmp_path)[0] == 0

    _commit(tmp_path, "type Query { a: String! c: Int }\n", {"openapi": "3.1.0", "paths": {}}, "drop b and /api/a")
    code, out = _check(tmp_path)
    assert code == 1 and "BREAKING" in out and "Query.b" in out and "/api/a" in out and checker.MARKER in out

    _git(tmp_path, "commit", "-q", "--amend", "-m", f"drop b and /api/a {checker.MARKER}")
    code, out = _check(tmp_path)
    assert code == 0 and "accepted" in out
