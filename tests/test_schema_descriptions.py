"""The GraphQL schema documents itself (issue 18, item 1): read through introspection, as GraphiQL and
code generators read it, every type, root field, argument and enum value has a description, at least
95% of all fields do, every root field names what it may fail with (or says it is public), and every
catalog read says its data comes from the aggregator."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query, graphql_sync

from yourmusic import errors
from yourmusic.schema import build_schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}
# Types whose objects come from the catalog aggregator: a root field returning one must say so.
CATALOG_TYPES = {"Artist", "Release", "Track", "ArtistPage", "ReleasePage", "TrackPage", "ArtistSearchResult",
                 "ReleaseSearchResult", "TrackSearchResult"}


def _codes() -> set[str]:
    """Every error code the API answers with (`extensions.code`), from the domain errors."""
    codes, todo = set(), [errors.AppError]
    while todo:
        cls = todo.pop()
        codes.add(cls.code)
        todo.extend(cls.__subclasses__())
    return codes | {"INVALID_CLIENT", "UNSUPPORTED_GRANT_TYPE", "INVALID_REQUEST"}  # OAuthError's, by error


@pytest.fixture(scope="module")
def introspected() -> dict[str, Any]:
    result = graphql_sync(build_schema()._schema, get_introspection_query(descriptions=True))
    assert result.errors is None, result.errors
    return result.data["__schema"]


def _types(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in schema["types"] if not t["name"].startswith("__") and t["name"] not in BUILT_IN]


def _named(ref: dict[str, Any]) -> str:
    while ref.get("ofType"):
        ref = ref["ofType"]
    return ref["name"]


def _roots(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    names = [schema["queryType"]["name"], schema["mutationType"]["name"]]
    by_name = {t["name"]: t for t in schema["types"]}
    return [(f"{root}.{f['name']}", f) for root in names for f in by_name[root]["fields"]]


def _members(schema: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(kind, label, description) of every field, input field, argument and enum value."""
    out = []
    for t in _types(schema):
        for f in (t.get("fields") or []) + (t.get("inputFields") or []):
            out.append(("field", f"{t['name']}.{f['name']}", f.get("description")))
            for a in f.get("args") or []:
                out.append(("argument", f"{t['name']}.{f['name']}({a['name']})", a.get("description")))
        for v in t.get("enumValues") or []:
            out.append(("enum value", f"{t['name']}.{v['name']}", v.get("description")))
    return out


def _described(text: str | None) -> bool:
    return bool(text and text.strip())


def test_every_type_is_described(introspected):
    missing = [t["name"] for t in _types(introspected) if not _described(t.get("description"))]
    assert not missing, f"types without a description: {missing}"


def test_every_root_field_argument_and_enum_value_is_described(introspected):
    missing = [label for label, f in _roots(introspected) if not _described(f["description"])]
    missing += [f"{kind} {label}" for kind, label, text in _members(introspected)
                if kind != "field" and not _described(text)]
    assert not missing, f"without a description: {missing}"


def test_at_least_95_percent_of_all_fields_are_described(introspected):
    fields = [(label, text) for kind, label, text in _members(introspected) if kind == "field"]
    described = sum(_described(text) for _, text in fields)
    assert described / len(fields) >= 0.95, (
        f"{described}/{len(fields)} fields described; missing: {[label for label, t in fields if not _described(t)]}")


def test_root_fields_name_their_errors(introspected):
    """A client reading a root field learns which `extensions.code` values it may get (or that it is public)."""
    codes = _codes()
    silent = [label for label, f in _roots(introspected)
              if "Public" not in f["description"] and not any(code in f["description"] for code in codes)]
    assert not silent, f"root fields naming no error code: {silent}"


def test_catalog_reads_say_the_data_comes_from_the_aggregator(introspected):
    by_name = {t["name"]: t for t in introspected["types"]}
    assert all("aggregator" in by_name[name]["description"] for name in CATALOG_TYPES)
    quiet = [label for label, f in _roots(introspected)
             if _named(f["type"]) in CATALOG_TYPES and "aggregator" not in f["description"]]
    assert not quiet, f"catalog root fields not saying the data comes from the aggregator: {quiet}"


def test_the_checks_can_fail():
    """The walk sees an undescribed member: a schema without descriptions fails every check above."""
    bare = graphql_sync(build_schema()._schema, get_introspection_query(descriptions=False)).data["__schema"]
    assert all(text is None for _, _, text in _members(bare))
    assert [t for t in _types(bare) if not _described(t.get("description"))]
