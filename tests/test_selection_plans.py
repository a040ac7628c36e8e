"""schema/selection_plans.py: the planned executor answers exactly what graphql-core answers.

`PlannedExecutionContext` completes attribute fields inline and hands anything irregular back to
graphql-core. These tests run the same document, variables and source objects through two schemas of one
class, the planned one (the default) and one built with Strawberry's graphql-core executor, and require
equal `data`, equal errors as the client sees them (masked) and equal errors as graphql-core raised them
(message, path, locations, original exception type). Each case also checks the answer itself (the error
path the spec gives, the level null propagated to), so a case cannot pass with both executors equally
wrong, and the attribute fields of a regular document are shown not to go through `execute_field`.

Also: the document's SelectionCache (fields collected once across requests; never kept when a directive
argument holds a variable), LeafMemo (the leaves of shared values kept across requests, their other fields
run each time, nothing irregular kept), SharedValue and `by_source` (catalog values built once per
aggregator object, unchangeable), middleware (planning off unless every middleware skips attribute
fields), and the real app's /graphql home page answered the same with planning off, twice. Answers are
compared with their key order (a response map follows the selection's order).
"""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import pytest
import strawberry
from graphql import GraphQLError
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from yourmusic.schema import selection_plans
from yourmusic.schema.catalog import SharedValue, by_source
from yourmusic.schema.execution import MASKED_MESSAGE, YourMusicSchema
from yourmusic.schema.selection_plans import PlannedExecutionContext

# --------------------------------------------------------------------------- the schema


@strawberry.enum
class Mood(Enum):
    HAPPY = "happy"
    SAD = "sad"


@strawberry.type
class Child:
    name: str = "c"
    rank: int | None = 1
    inner: Child | None = None

    @strawberry.field
    async def later(self, info: strawberry.Info) -> str:
        """Async resolver: fails for the name "fail"."""
        await asyncio.sleep(0)
        if self.name == "fail":
            raise GraphQLError("later failed")
        return f"{self.name} later"


@strawberry.type
class Cat:
    meows: int = 3


@strawberry.type
class Dog:
    barks: bool = True


Pet = Annotated[Cat | Dog, strawberry.union("Pet")]


@strawberry.interface
class Named:
    name: str = "named"


@strawberry.type
class Person(Named):
    age: int = 40


def _kids() -> list[Child]:
    return [Child(name="k1"), Child(name="k2", rank=None)]


@strawberry.type
class Node:
    s: str = "s"
    s_opt: str | None = None
    i: int = 1
    i_opt: int | None = None
    f: float = 1.5
    f_opt: float | None = None
    b: bool = True
    b_opt: bool | None = None
    id: strawberry.ID = strawberry.ID("n1")
    id_opt: strawberry.ID | None = None
    mood: Mood = Mood.HAPPY
    mood_opt: Mood | None = None
    when: datetime = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    when_opt: datetime | None = None
    blob: JSON = "blob"
    blobs: list[JSON] = strawberry.field(default_factory=lambda: [1, "two"])
    tags: list[str] = strawberry.field(default_factory=lambda: ["a", "b"])
    tags_items_opt: list[str | None] = strawberry.field(default_factory=lambda: ["a", None])
    tags_opt: list[str] | None = None
    tags_all_opt: list[str | None] | None = None
    moods: list[Mood] = strawberry.field(default_factory=lambda: [Mood.SAD, Mood.HAPPY])
    child: Child = strawberry.field(default_factory=Child)
    child_opt: Child | None = None
    kids: list[Child] = strawberry.field(default_factory=_kids)
    kids_items_opt: list[Child | None] = strawberry.field(default_factory=lambda: [Child(name="i1"), None])
    kids_opt: list[Child] | None = None
    kids_all_opt: list[Child | None] | None = None
    pet: Pet = strawberry.field(default_factory=Cat)
    named: Named = strawberry.field(default_factory=Person)
    person: Person | None = None  # an object type with is_type_of (it implements an interface)
    matrix: list[list[int]] = strawberry.field(default_factory=lambda: [[1, 2], [3]])

    # What the resolver fields below answer: "default" for a Child, else this value (raised when an exception).
    made: strawberry.Private[Any] = "default"

    @strawberry.field
    def shout(self, info: strawberry.Info) -> str:
        return "SHOUT"

    def _made(self) -> Any:
        if isinstance(self.made, BaseException) and not isinstance(self.made, ValueError):
            raise self.made
        return Child(name="made") if self.made == "default" else self.made  # a ValueError is returned, not raised

    @strawberry.field
    def friend(self, info: strawberry.Info) -> Child:
        """A resolver answering an object (planned: called as execute_field calls it)."""
        return self._made()  # type: ignore[no-any-return]

    @strawberry.field
    def friend_opt(self, info: strawberry.Info) -> Child | None:
        return self._made()  # type: ignore[no-any-return]

    @strawberry.field
    async def friend_later(self, info: strawberry.Info) -> Child | None:
        await asyncio.sleep(0)
        return self._made()  # type: ignore[no-any-return]

    @strawberry.field
    def friends(self, info: strawberry.Info) -> list[Child]:
        """A resolver answering a list (completed by graphql-core's complete_value)."""
        return [self._made(), Child(name="second")]

    @strawberry.field
    def greet(self, name: str) -> str:
        """A resolver with an argument: graphql-core's execute_field."""
        return f"hi {name}"

    @strawberry.field
    async def later(self, info: strawberry.Info) -> str:
        await asyncio.sleep(0)
        return "later"


@strawberry.type
class Query:
    node: Node | None = None
    must: Node = strawberry.field(default_factory=Node)
    nodes: list[Node] | None = None
    maybe_nodes: list[Node | None] = strawberry.field(default_factory=list)

    @strawberry.field
    def hello(self, info: strawberry.Info) -> str:
        return "hi"


class RecordingSchema(YourMusicSchema):
    """YourMusicSchema keeping the errors graphql-core raised (before masking) for comparison."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw_errors: list[GraphQLError] = []

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        self.raw_errors.extend(errors)


def make_schemas() -> tuple[RecordingSchema, RecordingSchema]:
    """(planned: the default executor, reference: Strawberry's graphql-core executor), fresh caches."""
    planned = RecordingSchema(query=Query, types=[Person])
    reference = RecordingSchema(query=Query, types=[Person],
                                execution_context_class=StrawberryGraphQLCoreExecutionContext)
    assert planned.execution_context_class is PlannedExecutionContext
    return planned, reference


PLANNED, REFERENCE = make_schemas()


@dataclass
class Answer:
    """What one execution answered: data, errors as the client sees them, errors as raised."""

    data: Any
    errors: list[dict[str, Any]]
    raw: list[tuple[Any, ...]]

    def raw_paths(self) -> list[list[str | int] | None]:
        return [error[1] for error in self.raw]

    def raw_messages(self) -> list[str]:
        return [error[0] for error in self.raw]


async def run(schema: RecordingSchema, query: str, root: Any, variables: dict[str, Any] | None = None) -> Answer:
    """Execute `query` on `root` and describe the outcome."""
    schema.raw_errors = []
    result = await schema.execute(query, variable_values=variables, root_value=root)
    raw = [(e.message, e.path, [tuple(loc) for loc in e.locations or ()],
            type(e.original_error).__name__ if e.original_error is not None else None) for e in schema.raw_errors]
    return Answer(result.data, [e.formatted for e in result.errors or ()], raw)


@pytest.fixture
def slow_fields(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fields the planned executor handed to graphql-core's `execute_field` ("Type.field")."""
    calls: list[str] = []
    original = PlannedExecutionContext.execute_field

    def counting(self: Any, parent_type: Any, source: Any, details: Any, path: Any, position_context: Any) -> Any:
        calls.append(f"{parent_type.name}.{details[0].node.name.value}")
        return original(self, parent_type, source, details, path, position_context)

    monkeypatch.setattr(PlannedExecutionContext, "execute_field", counting)
    return calls


@pytest.fixture
def resolved_fields(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The resolver fields the plan called itself (`_resolved`: no argument, no middleware)."""
    calls: list[str] = []
    original = PlannedExecutionContext._resolved

    def counting(self: Any, entry: Any, parent_type: Any, source: Any, path: Any) -> Any:
        calls.append(f"{parent_type.name}.{entry.nodes[0].name.value}")
        return original(self, entry, parent_type, source, path)

    monkeypatch.setattr(PlannedExecutionContext, "_resolved", counting)
    return calls


def ordered(data: Any) -> str:
    """`data` as JSON text: equal only when every map has the same keys in the same order."""
    return json.dumps(data, default=str)


async def both(query: str, make_root: Callable[[], Any], variables: dict[str, Any] | None = None,
               schemas: tuple[RecordingSchema, RecordingSchema] = (PLANNED, REFERENCE)) -> Answer:
    """Run on both executors (a fresh root each) and require the same answer; returns it."""
    reference = await run(schemas[1], query, make_root(), variables)
    planned = await run(schemas[0], query, make_root(), variables)
    assert planned.data == reference.data
    assert ordered(planned.data) == ordered(reference.data)  # the same keys in the same order
    assert planned.errors == reference.errors
    assert planned.raw == reference.raw
    return reference


# --------------------------------------------------------------------------- values


def future(value: Any) -> asyncio.Future[Any]:
    """An awaitable that can be awaited more than once (no never-awaited warning)."""
    done = asyncio.get_running_loop().create_future()
    done.set_result(value)
    return done


async def _coroutine_value(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


class Raises:
    """A source whose attribute `s` raises (a property), and has no other attribute."""

    @property
    def s(self) -> str:
        raise RuntimeError("property failed")


class Bare:
    """A source with no attribute at all."""


ALL_CHILD = "name rank inner { name rank }"
ALL_NODE = (f"s sOpt i iOpt f fOpt b bOpt id idOpt mood moodOpt when whenOpt blob blobs tags tagsItemsOpt "
            f"tagsOpt tagsAllOpt moods child {{ {ALL_CHILD} }} childOpt {{ {ALL_CHILD} }} kids {{ {ALL_CHILD} }} "
            f"kidsItemsOpt {{ {ALL_CHILD} }} kidsOpt {{ {ALL_CHILD} }} kidsAllOpt {{ {ALL_CHILD} }}")
ATTRIBUTES = f"{{ node {{ {ALL_NODE} }} }}"

REGULAR = """
query Regular($yes: Boolean!, $no: Boolean!) {
  __typename
  hello
  node {
    __typename
    ...Leaves
    a1: s a2: s
    ... on Node { i iOpt }
    child { name } child { rank inner { name } } child { ...ChildFields }
    childOpt { name }
    kids { __typename ...ChildFields } kidsItemsOpt { name } kidsOpt { name } kidsAllOpt { name rank }
    skipped: s @skip(if: true)
    kept: s @include(if: true)
    varSkipped: s @include(if: $no)
    varKept: i @skip(if: $no)
    kidsAgain: kids @include(if: $yes) { name inner { name } }
    pet { __typename ... on Cat { meows } ... on Dog { barks } }
    named { __typename name ... on Person { age } }
    matrix shout later
  }
  maybeNodes { s moods }
  nodes { tags }
}
fragment Leaves on Node { s sOpt f fOpt b bOpt id idOpt mood moodOpt when whenOpt blob blobs tags tagsItemsOpt
  tagsOpt tagsAllOpt moods }
fragment ChildFields on Child { name rank }
"""

# The fields of REGULAR graphql-core's execute_field runs (abstract types, nested lists), and those with a
# resolver function and no argument, which the plan calls itself (`_resolved`).
VIA_CORE = {"Node.pet", "Node.named", "Node.matrix"}
RESOLVED = {"Query.hello", "Node.shout", "Node.later"}


def regular_root() -> Query:
    return Query(
        node=Node(s_opt="x", i_opt=7, f_opt=0.25, b_opt=False, id_opt=strawberry.ID("9"), mood_opt=Mood.SAD,
                  when_opt=datetime(2020, 5, 6, tzinfo=UTC), tags_opt=["t"], tags_all_opt=[None, "u"],
                  child=Child(name="ch", inner=Child(name="in")), child_opt=Child(name="co"),
                  kids_opt=[Child(name="ko")], kids_all_opt=[None, Child(name="ka", rank=None)],
                  pet=Dog(barks=False), blob={"k": [1, 2]}, tags=("tuple", "ok")),
        maybe_nodes=[Node(), None], nodes=[Node(tags=[])],
    )


def error_at(answer: Answer, path: list[str | int], message: str | None = None) -> None:
    """`answer` has exactly one error, at `path` (with `message` when given)."""
    assert answer.raw_paths() == [path], answer.raw
    if message is not None:
        assert answer.raw_messages() == [message], answer.raw


@dataclass
class Case:
    """One differential case: a document, a root factory, what the answer must show, and the fields the
    planned executor must hand to graphql-core."""

    id: str
    query: str
    root: Callable[[], Any]
    check: Callable[[Answer], None]
    variables: dict[str, Any] | None = None
    via_core: set[str] = field(default_factory=set)


def node_null_with(path: list[str | int], message: str | None = None) -> Callable[[Answer], None]:
    """The check: `node` nulled by one error at `path`."""

    def check(answer: Answer) -> None:
        assert answer.data == {"node": None}
        error_at(answer, path, message)

    return check


def node_has(key: str, value: Any, path: list[str | int] | None = None,
             message: str | None = None) -> Callable[[Answer], None]:
    """The check: `node.<key>` is `value`, with one error at `path` (none when None)."""

    def check(answer: Answer) -> None:
        assert answer.data is not None and answer.data["node"] is not None, answer
        assert answer.data["node"][key] == value
        if path is None:
            assert answer.raw == [] and answer.errors == []
        else:
            error_at(answer, path, message)

    return check


def _check_regular(answer: Answer) -> None:
    assert answer.raw == [] and answer.errors == []
    data = answer.data
    node = data["node"]
    assert data["__typename"] == "Query" and data["hello"] == "hi"
    assert node["__typename"] == "Node" and node["a1"] == node["a2"] == node["s"] == "s"
    assert (node["sOpt"], node["iOpt"], node["fOpt"], node["bOpt"], node["idOpt"]) == ("x", 7, 0.25, False, "9")
    assert (node["mood"], node["moodOpt"], node["whenOpt"]) == ("HAPPY", "SAD", "2020-05-06T00:00:00+00:00")
    assert node["blob"] == {"k": [1, 2]} and node["tags"] == ["tuple", "ok"] and node["tagsAllOpt"] == [None, "u"]
    assert node["child"] == {"name": "ch", "rank": 1, "inner": {"name": "in"}}
    assert node["kids"] == [{"__typename": "Child", "name": "k1", "rank": 1},
                            {"__typename": "Child", "name": "k2", "rank": None}]
    assert node["kidsAllOpt"] == [None, {"name": "ka", "rank": None}] and node["kidsItemsOpt"] == [{"name": "i1"}, None]
    assert "skipped" not in node and node["kept"] == "s" and "varSkipped" not in node and node["varKept"] == 1
    assert node["kidsAgain"] == [{"name": "k1", "inner": None}, {"name": "k2", "inner": None}]
    assert node["pet"] == {"__typename": "Dog", "barks": False}
    assert node["named"] == {"__typename": "Person", "name": "named", "age": 40}
    assert (node["matrix"], node["shout"], node["later"]) == ([[1, 2], [3]], "SHOUT", "later")
    assert data["maybeNodes"] == [{"s": "s", "moods": ["SAD", "HAPPY"]}, None] and data["nodes"] == [{"tags": []}]


def _check_must(answer: Answer) -> None:
    assert answer.data is None
    error_at(answer, ["must", "child", "name"], "Cannot return null for non-nullable field Child.name.")


def _check_deep(answer: Answer) -> None:
    assert answer.data == {"node": {"child": {"name": "c", "inner": None}}}
    error_at(answer, ["node", "child", "inner", "name"])


def _check_kids_item(answer: Answer) -> None:
    assert answer.data == {"node": {"kidsOpt": None, "kidsItemsOpt": [None, {"name": "ok"}]}}
    assert sorted(answer.raw_paths()) == [["node", "kidsItemsOpt", 0, "name"], ["node", "kidsOpt", 1, "name"]]


def _check_async_items(answer: Answer) -> None:
    assert answer.data == {"node": {"kidsItemsOpt": [{"later": "a later"}, None], "kidsOpt": None}}
    assert sorted(answer.raw_paths()) == [["node", "kidsItemsOpt", 1, "later"], ["node", "kidsOpt", 0, "later"]]
    assert answer.raw_messages() == ["later failed"] * 2
    assert [e["message"] for e in answer.errors] == ["later failed"] * 2  # a GraphQLError: not masked


def _check_many(answer: Answer) -> None:
    node = answer.data["node"]
    assert node == {"sOpt": None, "iOpt": None, "childOpt": None, "tagsItemsOpt": ["a", None],
                    "kidsItemsOpt": [None], "later": "later"}
    assert sorted(answer.raw_paths()) == [["node", "childOpt"], ["node", "iOpt"], ["node", "kidsItemsOpt", 0],
                                         ["node", "sOpt"], ["node", "tagsItemsOpt", 1]]
    assert sorted(e["message"] for e in answer.errors) == sorted([
        MASKED_MESSAGE, MASKED_MESSAGE, "visible", "Int cannot represent non-integer value: 'x'",
        "String cannot represent value: <object instance>"])


def _check_root_lists(answer: Answer) -> None:
    assert answer.data == {"nodes": None, "maybeNodes": [{"s": "ok"}, None]}
    assert sorted(answer.raw_paths()) == [["maybeNodes", 1, "s"], ["nodes", 1, "s"]]


def _check_resolver_raises(answer: Answer) -> None:
    """Two errors: the nullable field nulled, the non-null one nulling `node` (which wins the data)."""
    assert answer.data == {"node": None}
    assert sorted(answer.raw_paths()) == [["node", "friend"], ["node", "friendOpt"]]
    assert answer.raw_messages() == ["boom", "boom"]


def _check_resolver_returns_exception(answer: Answer) -> None:
    """An exception answered (not raised) by a resolver is that field's error, as graphql-core has it."""
    assert answer.data == {"node": {"friendOpt": None, "friendLater": None}}
    assert sorted(answer.raw_paths()) == [["node", "friendLater"], ["node", "friendOpt"]]
    assert answer.raw_messages() == ["returned", "returned"]


CASES = [
    Case("regular", REGULAR, regular_root, _check_regular, {"yes": True, "no": False}, VIA_CORE),
    # resolver fields
    Case("resolvers", '{ node { friend { name rank inner { name } } friendOpt { name } friendLater { name later } '
                      'friends { name } greet(name: "x") } }', lambda: Query(node=Node()),
         lambda a: a.raw == [] and a.data == {"node": {
             "friend": {"name": "made", "rank": 1, "inner": None}, "friendOpt": {"name": "made"},
             "friendLater": {"name": "made", "later": "made later"}, "friends": [{"name": "made"}, {"name": "second"}],
             "greet": "hi x"}} or pytest.fail(str(a)), via_core={"Node.greet"}),
    Case("resolver-null-in-non-null", "{ node { friend { name } } }", lambda: Query(node=Node(made=None)),
         node_null_with(["node", "friend"], "Cannot return null for non-nullable field Node.friend.")),
    Case("resolver-raises", "{ node { friendOpt { name } friend { name } } }",
         lambda: Query(node=Node(made=RuntimeError("boom"))), _check_resolver_raises),
    Case("resolver-returns-exception", "{ node { friendOpt { name } friendLater { name } } }",
         lambda: Query(node=Node(made=ValueError("returned"))), _check_resolver_returns_exception),
    Case("resolver-object-bad-leaf", "{ node { friendOpt { name } } }", lambda: Query(node=Node(made=Child(name=None))),
         node_has("friendOpt", None, ["node", "friendOpt", "name"])),
    Case("resolver-object-bad-leaf-non-null", "{ node { friend { name } } }",
         lambda: Query(node=Node(made=Child(name=None))), node_null_with(["node", "friend", "name"])),
    Case("resolver-async-child-error", "{ node { friendLater { name later } } }",
         lambda: Query(node=Node(made=Child(name="fail"))), node_has("friendLater", None,
                                                                    ["node", "friendLater", "later"])),
    Case("resolver-wrong-type", "{ node { friendOpt { name } } }", lambda: Query(node=Node(made=Bare())),
         node_has("friendOpt", None, ["node", "friendOpt", "name"])),
    Case("attributes-defaults", ATTRIBUTES, lambda: Query(node=Node()),
         lambda a: a.raw == [] and a.data["node"]["kids"][1] == {"name": "k2", "rank": None, "inner": None}
         or pytest.fail(str(a))),
    # leaves
    Case("null-in-non-null-string", "{ node { sOpt s } }", lambda: Query(node=Node(s=None)),
         node_null_with(["node", "s"], "Cannot return null for non-nullable field Node.s."), via_core={"Node.s"}),
    Case("int-refused", "{ node { i } }", lambda: Query(node=Node(i="x")),
         node_null_with(["node", "i"], "Int cannot represent non-integer value: 'x'"), via_core={"Node.i"}),
    Case("int-too-big-nullable", "{ node { s iOpt } }", lambda: Query(node=Node(i_opt=2**40)),
         node_has("iOpt", None, ["node", "iOpt"]), via_core={"Node.iOpt"}),
    Case("float-nan", "{ node { fOpt } }", lambda: Query(node=Node(f_opt=float("nan"))),
         node_has("fOpt", None, ["node", "fOpt"], "Float cannot represent non numeric value: nan")),
    Case("float-from-int", "{ node { f } }", lambda: Query(node=Node(f=3)), node_has("f", 3.0)),
    Case("boolean-refused", "{ node { bOpt } }", lambda: Query(node=Node(b_opt="yes")),
         node_has("bOpt", None, ["node", "bOpt"])),
    Case("id-from-int", "{ node { id } }", lambda: Query(node=Node(id=12)), node_has("id", "12")),
    Case("id-refused", "{ node { idOpt } }", lambda: Query(node=Node(id_opt=1.5)),
         node_has("idOpt", None, ["node", "idOpt"])),
    Case("enum-refused", "{ node { moodOpt } }", lambda: Query(node=Node(mood_opt="angry")),
         node_has("moodOpt", None, ["node", "moodOpt"])),
    Case("enum-non-null-refused", "{ node { mood } }", lambda: Query(node=Node(mood=3)),
         node_null_with(["node", "mood"])),
    Case("datetime-refused", "{ node { whenOpt } }", lambda: Query(node=Node(when_opt="not a date")),
         node_has("whenOpt", None, ["node", "whenOpt"])),
    Case("exception-as-leaf", "{ node { sOpt } }", lambda: Query(node=Node(s_opt=ValueError("secret"))),
         node_has("sOpt", None, ["node", "sOpt"], "secret"), via_core={"Node.sOpt"}),
    Case("graphql-error-as-non-null-leaf", "{ node { s } }", lambda: Query(node=Node(s=GraphQLError("visible"))),
         node_null_with(["node", "s"], "visible")),
    Case("coroutine-as-leaf", "{ node { s } }", lambda: Query(node=Node(s=_coroutine_value("awaited"))),
         node_has("s", "awaited"), via_core={"Node.s"}),
    Case("future-as-leaf", "{ node { sOpt i } }", lambda: Query(node=Node(s_opt=future("fut"), i=future(5))),
         lambda a: (a.raw == [] and a.data == {"node": {"sOpt": "fut", "i": 5}}) or pytest.fail(str(a))),
    Case("future-as-json", "{ node { blob } }", lambda: Query(node=Node(blob=future({"j": 1}))),
         node_has("blob", {"j": 1}), via_core={"Node.blob"}),
    Case("undefined-as-json", "{ node { blob } }", lambda: Query(node=Node(blob=Undefined)),
         node_null_with(["node", "blob"])),
    Case("undefined-as-nullable-string", "{ node { sOpt idOpt } }",
         lambda: Query(node=Node(s_opt=Undefined, id_opt=Undefined)), node_has("sOpt", None)),
    Case("undefined-as-string", "{ node { s } }", lambda: Query(node=Node(s=Undefined)),
         node_null_with(["node", "s"], "Cannot return null for non-nullable field Node.s.")),
    Case("custom-object-as-string", "{ node { s } }", lambda: Query(node=Node(s=Mood.SAD)),
         node_has("s", "Mood.SAD")),
    Case("property-raises", "{ node { s } }", lambda: Query(node=Raises()),
         node_null_with(["node", "s"], "property failed"), via_core={"Node.s"}),
    Case("missing-attribute", "{ node { child { name } } }", lambda: Query(node=Node(child=Bare())),
         node_null_with(["node", "child", "name"])),
    # lists of leaves
    Case("list-not-a-list", "{ node { tags } }", lambda: Query(node=Node(tags="notalist")),
         node_null_with(["node", "tags"], "Expected Iterable, but did not find one for field 'Node.tags'."),
         via_core={"Node.tags"}),
    Case("nullable-list-not-a-list", "{ node { tagsOpt } }", lambda: Query(node=Node(tags_opt=5)),
         node_has("tagsOpt", None, ["node", "tagsOpt"])),
    Case("generator-as-list", "{ node { tags } }", lambda: Query(node=Node(tags=(t for t in ("g1", "g2")))),
         node_has("tags", ["g1", "g2"])),
    Case("null-item-non-null-items", "{ node { tags } }", lambda: Query(node=Node(tags=["a", None])),
         node_null_with(["node", "tags", 1], "Cannot return null for non-nullable field Node.tags.")),
    Case("null-item-nullable-list", "{ node { tagsOpt } }", lambda: Query(node=Node(tags_opt=[None])),
         node_has("tagsOpt", None, ["node", "tagsOpt", 0])),
    Case("null-items-allowed", "{ node { tagsItemsOpt tagsAllOpt } }",
         lambda: Query(node=Node(tags_items_opt=[None, "b"], tags_all_opt=[None])), node_has("tagsAllOpt", [None])),
    Case("refused-item", "{ node { tagsItemsOpt } }", lambda: Query(node=Node(tags_items_opt=["a", object()])),
         node_has("tagsItemsOpt", ["a", None], ["node", "tagsItemsOpt", 1])),
    Case("refused-enum-item", "{ node { moods } }", lambda: Query(node=Node(moods=[Mood.SAD, "nope"])),
         node_null_with(["node", "moods", 1])),
    Case("exception-item", "{ node { tagsItemsOpt } }",
         lambda: Query(node=Node(tags_items_opt=["a", ValueError("x")])),
         node_has("tagsItemsOpt", ["a", None], ["node", "tagsItemsOpt", 1], "x")),
    Case("awaitable-item", "{ node { tagsItemsOpt } }", lambda: Query(node=Node(tags_items_opt=[future("b"), "c"])),
         node_has("tagsItemsOpt", ["b", "c"])),
    Case("undefined-items", "{ node { tagsItemsOpt tags } }",
         lambda: Query(node=Node(tags_items_opt=["a", Undefined], tags=["b", Undefined])),
         node_null_with(["node", "tags", 1])),
    Case("undefined-item-allowed", "{ node { tagsItemsOpt } }",
         lambda: Query(node=Node(tags_items_opt=["a", Undefined])), node_has("tagsItemsOpt", ["a", None])),
    Case("awaitable-json-item", "{ node { blobs } }", lambda: Query(node=Node(blobs=[1, future(2)])),
         node_has("blobs", [1, 2]), via_core={"Node.blobs"}),
    Case("awaitable-list", "{ node { tags } }", lambda: Query(node=Node(tags=future(["f"]))),
         node_has("tags", ["f"])),
    Case("exception-as-list", "{ node { tagsOpt } }", lambda: Query(node=Node(tags_opt=GraphQLError("no list"))),
         node_has("tagsOpt", None, ["node", "tagsOpt"], "no list")),
    # objects
    Case("null-non-null-object", "{ node { s child { name } } }", lambda: Query(node=Node(child=None)),
         node_null_with(["node", "child"], "Cannot return null for non-nullable field Node.child."),
         via_core={"Node.child"}),
    Case("undefined-non-null-object", "{ node { child { name } } }", lambda: Query(node=Node(child=Undefined)),
         node_null_with(["node", "child"])),
    Case("nested-propagates-to-node", "{ node { child { name rank } } }",
         lambda: Query(node=Node(child=Child(name=None))), node_null_with(["node", "child", "name"])),
    Case("nested-propagates-to-data", "{ hello must { s child { name } } }",
         lambda: Query(must=Node(child=Child(name=None))), _check_must),
    Case("nested-stops-at-nullable", "{ node { child { name inner { name } } } }",
         lambda: Query(node=Node(child=Child(inner=Child(name=None)))), _check_deep),
    Case("merged-selections-error", "{ node { child { name } child { inner { name } } } }",
         lambda: Query(node=Node(child=Child(inner=Child(name=None)))), _check_deep),
    Case("exception-as-object", "{ node { childOpt { name } } }",
         lambda: Query(node=Node(child_opt=ValueError("x"))), node_has("childOpt", None, ["node", "childOpt"])),
    Case("awaitable-object", "{ node { childOpt { name } } }",
         lambda: Query(node=Node(child_opt=future(Child(name="f")))), node_has("childOpt", {"name": "f"}),
         via_core={"Node.childOpt"}),
    Case("coroutine-object", "{ node { child { name } } }",
         lambda: Query(node=Node(child=_coroutine_value(Child(name="co")))), node_has("child", {"name": "co"})),
    Case("async-field-fails-under-object", "{ node { s child { later } } }",
         lambda: Query(node=Node(child=Child(name="fail"))),
         node_null_with(["node", "child", "later"], "later failed")),
    Case("wrong-object-for-is-type-of", "{ node { person { name } } }", lambda: Query(node=Node(person=Child())),
         node_has("person", None, ["node", "person"]), via_core={"Node.person"}),
    Case("right-object-for-is-type-of", "{ node { person { name age } } }",
         lambda: Query(node=Node(person=Person(name="p"))), node_has("person", {"name": "p", "age": 40}),
         via_core={"Node.person"}),
    Case("wrong-object-for-union", "{ node { pet { __typename } } }", lambda: Query(node=Node(pet=Child())),
         node_null_with(["node", "pet"])),
    # lists of objects
    Case("null-item-non-null-objects", "{ node { s kids { name } } }", lambda: Query(node=Node(kids=[Child(), None])),
         node_null_with(["node", "kids", 1], "Cannot return null for non-nullable field Node.kids."),
         via_core={"Node.kids"}),
    Case("undefined-item-non-null-objects", "{ node { kids { name } } }",
         lambda: Query(node=Node(kids=[Child(), Undefined])), node_null_with(["node", "kids", 1])),
    Case("undefined-item-nullable-objects", "{ node { kidsItemsOpt { name } } }",
         lambda: Query(node=Node(kids_items_opt=[Undefined, Child(name="u")])),
         node_has("kidsItemsOpt", [None, {"name": "u"}])),
    Case("null-items-allowed-objects", "{ node { kidsItemsOpt { name } kidsAllOpt { name } } }",
         lambda: Query(node=Node(kids_items_opt=[None], kids_all_opt=[None, Child(name="x")])),
         node_has("kidsAllOpt", [None, {"name": "x"}])),
    Case("error-in-one-non-null-item", "{ node { kids { name rank } } }",
         lambda: Query(node=Node(kids=[Child(), Child(name=None)])), node_null_with(["node", "kids", 1, "name"])),
    Case("error-in-items", "{ node { kidsOpt { name } kidsItemsOpt { name } } }",
         lambda: Query(node=Node(kids_opt=[Child(), Child(name=None)],
                                 kids_items_opt=[Child(name=None), Child(name="ok")])), _check_kids_item),
    Case("async-error-in-items", "{ node { kidsItemsOpt { later } kidsOpt { later } } }",
         lambda: Query(node=Node(kids_items_opt=[Child(name="a"), Child(name="fail")],
                                 kids_opt=[Child(name="fail"), Child(name="b")])), _check_async_items),
    Case("objects-not-a-list", "{ node { kidsOpt { name } } }", lambda: Query(node=Node(kids_opt="x")),
         node_has("kidsOpt", None, ["node", "kidsOpt"])),
    Case("dict-as-objects", "{ node { kidsOpt { name } } }", lambda: Query(node=Node(kids_opt={"a": 1})),
         node_has("kidsOpt", None, ["node", "kidsOpt"])),
    Case("exception-item-object", "{ node { kidsItemsOpt { name } } }",
         lambda: Query(node=Node(kids_items_opt=[ValueError("x"), Child(name="y")])),
         node_has("kidsItemsOpt", [None, {"name": "y"}], ["node", "kidsItemsOpt", 0])),
    Case("awaitable-item-object", "{ node { kidsItemsOpt { name } } }",
         lambda: Query(node=Node(kids_items_opt=[future(Child(name="f")), None])),
         node_has("kidsItemsOpt", [{"name": "f"}, None])),
    Case("tuple-of-objects", "{ node { kids { name } } }", lambda: Query(node=Node(kids=(Child(name="t"),))),
         node_has("kids", [{"name": "t"}])),
    Case("matrix-null-inner", "{ node { matrix } }", lambda: Query(node=Node(matrix=[[1], [None]])),
         node_null_with(["node", "matrix", 1, 0])),
    Case("root-lists", "{ nodes { s } maybeNodes { s } }",
         lambda: Query(nodes=[Node(), Node(s=None)], maybe_nodes=[Node(s="ok"), Node(s=None)]), _check_root_lists),
    Case("many-errors", "{ node { later sOpt iOpt childOpt { name } tagsItemsOpt kidsItemsOpt { name } } }",
         lambda: Query(node=Node(s_opt=RuntimeError("a"), i_opt="x", child_opt=GraphQLError("visible"),
                                 tags_items_opt=["a", object()], kids_items_opt=[KeyError("k")])), _check_many),
    Case("variables-skip", "query($v: Boolean!) { node { s @skip(if: $v) child @include(if: $v) { name } } }",
         lambda: Query(node=Node(s=None, child=Child(name="v"))), node_has("child", {"name": "v"}), {"v": True}),
    Case("variables-include-error", "query($v: Boolean!) { node { s @skip(if: $v) child @include(if: $v) { name } } }",
         lambda: Query(node=Node(s=None, child=Child(name="v"))), node_null_with(["node", "s"]), {"v": False}),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_same_answer_and_errors_as_graphql_core(case: Case, slow_fields: list[str],
                                                      resolved_fields: list[str]) -> None:
    answer = await both(case.query, case.root, case.variables)
    case.check(answer)
    assert case.via_core <= set(slow_fields), slow_fields
    if case.id == "regular":
        assert set(slow_fields) == VIA_CORE  # every attribute field completed inline
        assert set(resolved_fields) == RESOLVED  # resolvers without arguments called by the plan
    if case.id == "resolvers":
        assert set(resolved_fields) == {"Node.friend", "Node.friendOpt", "Node.friendLater", "Node.friends",
                                        "Child.later"}
    if case.id == "attributes-defaults":
        assert slow_fields == []


async def test_fresh_cache_and_warm_cache_answer_alike(slow_fields: list[str]) -> None:
    """Every case again on a schema whose document cache is warm from other data: plans kept across
    requests give each request's own answer."""
    schemas = make_schemas()
    for _ in range(2):
        for case in CASES:
            case.check(await both(case.query, case.root, case.variables, schemas=schemas))


@pytest.mark.parametrize("planned", [True, False], ids=["planned", "graphql-core"])
async def test_an_irregular_value_leaves_nothing_of_the_request_alive(planned: bool) -> None:
    """The planned executor hands an irregular value back to graphql-core by raising: nothing of the request
    (the source objects, through the frames of a traceback) may be kept once it is answered, as with
    graphql-core's."""
    schema = make_schemas()[0 if planned else 1]
    for query in ("{ node { child { name } } }", "{ node { tags } }", "{ node { kidsItemsOpt { name } } }"):
        for _ in range(2):
            node = Node(child=None, tags="notalist", kids_items_opt=[Child(), ValueError("x")])
            alive = weakref.ref(node)
            answer = await run(schema, query, Query(node=node))
            assert answer.raw and schema.raw_errors  # one error (which holds frames until dropped)
            del node, answer
            schema.raw_errors = []
            gc.collect()
            assert alive() is None, query


# --------------------------------------------------------------------------- the selection cache


async def test_collected_fields_are_kept_across_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = make_schemas()[0]
    calls: list[str] = []
    original = selection_plans.collect_subfields

    def counting(*args: Any) -> Any:
        calls.append(args[4].name)
        return original(*args)

    monkeypatch.setattr(selection_plans, "collect_subfields", counting)
    query = "{ node { s child { name inner { name } } kids { name } } maybeNodes { s } }"
    first = await run(schema, query, regular_root())
    assert sorted(calls) == ["Child", "Child", "Child", "Node", "Node"]
    calls.clear()
    second = await run(schema, query, Query(node=Node(s="other"), maybe_nodes=[Node()]))
    assert calls == []  # collected on the first request only
    assert first.data["node"]["s"] == "s" and second.data["node"]["s"] == "other"
    assert second.data["node"]["child"] == {"name": "c", "inner": None}
    entry = schema.documents._entries[query]
    assert entry.selections() is not None and entry.selections().collected


async def test_a_directive_variable_keeps_no_selections() -> None:
    schemas = make_schemas()
    query = "query($v: Boolean!) { node { s @include(if: $v) i child @skip(if: $v) { name } } }"
    expected = {True: {"s": "s", "i": 1}, False: {"i": 1, "child": {"name": "c"}}}
    for value in (True, False, True, False):
        answer = await both(query, lambda: Query(node=Node()), {"v": value}, schemas=schemas)
        assert answer.data == {"node": expected[value]} and answer.raw == []
    assert schemas[0].documents._entries[query].selections() is None
    literal = "{ node { s @include(if: true) } }"
    await both(literal, lambda: Query(node=Node()), schemas=schemas)
    assert schemas[0].documents._entries[literal].selections() is not None


# --------------------------------------------------------------------------- middleware


def recording_extension(seen: list[str], skips: bool) -> type[SchemaExtension]:
    """A SchemaExtension with a `resolve` hook recording "Type.field" into `seen`."""

    class Recorder(SchemaExtension):
        skips_attribute_fields = skips

        def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(f"{info.parent_type.name}.{info.field_name}")
            return _next(root, info, *args, **kwargs)

    return Recorder


MIDDLEWARE_QUERY = "{ hello node { s tags child { name later } kids { name } shout later } }"


@pytest.mark.parametrize("skips", [False, True])
async def test_middleware(skips: bool) -> None:
    planned_seen: list[str] = []
    reference_seen: list[str] = []
    planned = RecordingSchema(query=Query, types=[Person], extensions=[recording_extension(planned_seen, skips)])
    reference = RecordingSchema(query=Query, types=[Person], extensions=[recording_extension(reference_seen, skips)],
                                execution_context_class=StrawberryGraphQLCoreExecutionContext)
    answer = await both(MIDDLEWARE_QUERY, lambda: Query(node=Node(child=Child(name="m"))),
                        schemas=(planned, reference))
    assert answer.raw == [] and answer.data["node"]["child"] == {"name": "m", "later": "m later"}
    everything = {"Query.hello", "Query.node", "Node.s", "Node.tags", "Node.child", "Child.name", "Child.later",
                  "Node.kids", "Node.shout", "Node.later"}
    assert set(reference_seen) == everything and reference_seen.count("Child.name") == 3
    if skips:
        assert sorted(planned_seen) == ["Child.later", "Node.later", "Node.shout", "Query.hello"]
    else:
        assert sorted(planned_seen) == sorted(reference_seen)


# --------------------------------------------------------------------------- the real app


class Unplanned(YourMusicSchema):
    """The app's schema class with graphql-core's executor (planning off)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["execution_context_class"] = StrawberryGraphQLCoreExecutionContext
        super().__init__(*args, **kwargs)


def schema_of(client: Any) -> YourMusicSchema:
    """The YourMusicSchema behind a test client's app."""
    for route in client.app.routes:
        schema = getattr(getattr(route, "endpoint", None), "schema", None) or getattr(
            getattr(route, "app", None), "schema", None)
        if isinstance(schema, YourMusicSchema):
            return schema
    raise AssertionError("no schema on the app")


HOME = """query Home { home {
  page { id slug title }
  modules { __typename
    ... on HeroModule { id title position banners: items { title subtitle image linkKind linkId
          release { id title } artist { id name image } } }
    ... on ReleaseCarouselModule { id title position releases: items { id title image year artist { id name } } }
    ... on TrackListModule { id title position tracks: items { id title duration trackNumber
          artist { name } release { id title artist { name } } } }
    ... on ArtistGridModule { id title position artists: items { id name image } }
    ... on NewReleasesModule { id title position releases: items { id title image releaseDate artist { name } } }
  } }
  releases(ids: ["1", "999999999", "4"]) { id title artist { name } }
}"""


async def test_home_page_over_http_as_with_planning_off(api: Any, tenant: Any, upstream: Any, app_with: Any,
                                                       monkeypatch: pytest.MonkeyPatch, slow_fields: list[str],
                                                       resolved_fields: list[str]) -> None:
    from yourmusic.schema import build
    from yourmusic.services.home import DEMO_PAGE

    r = await api.http.put("/api/home", json=DEMO_PAGE, headers=tenant.auth)
    assert r.status_code == 200, r.text
    planned = app_with(graphql_max_cost=20_000)
    monkeypatch.setattr(build, "YourMusicSchema", Unplanned)  # for the next app only (undone after the test)
    unplanned = app_with(graphql_max_cost=20_000)
    assert schema_of(planned).execution_context_class is PlannedExecutionContext
    assert schema_of(unplanned).execution_context_class is StrawberryGraphQLCoreExecutionContext
    headers = {**tenant.auth, "X-Tenant": tenant.slug}
    body = {"query": HOME, "operationName": "Home"}
    off = await unplanned.post("/graphql", json=body, headers=headers)
    on = await planned.post("/graphql", json=body, headers=headers)
    assert "Query.home" in resolved_fields and "Track.artist" in resolved_fields  # resolvers called by the plan
    assert "Track.title" not in slow_fields  # attribute fields completed inline
    assert on.status_code == off.status_code == 200
    assert on.json() == off.json()
    answer = on.json()
    modules = answer["data"]["home"]["modules"]
    assert [m["__typename"] for m in modules][:4] == ["HeroModule", "ReleaseCarouselModule", "TrackListModule",
                                                      "ArtistGridModule"]
    assert modules[0]["banners"][0]["artist"]["name"] == "AC/DC"
    assert [r["id"] for r in modules[1]["releases"]] == ["1", "4", "35", "48", "94", "151"]
    assert all(t["release"]["artist"]["name"] for t in modules[2]["tracks"])
    releases = answer["data"]["releases"]
    assert releases[1] is None and releases[0]["id"] == "1" and releases[2]["id"] == "4"
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [(["releases", 1], "NOT_FOUND")]
    # The second request of the planned app answers the kept leaves of the same catalog values (LeafMemo).
    again = await planned.post("/graphql", json=body, headers=headers)
    assert ordered(again.json()) == ordered(off.json())


# --------------------------------------------------------------------------- LeafMemo and shared values


@strawberry.type
class Cover(SharedValue):
    """A shared value of leaves only: kept whole, and inside a Disc's kept fields."""

    url: str = "https://example.com/c.jpg"


@strawberry.type
class Disc(SharedValue):
    """A shared value (its leaves are kept across requests); `loud` is a resolver, run every time; `child`
    is not a shared value (a Disc holding one is never kept), `cover` is (kept inside the Disc's fields)."""

    title: str = "disc"
    year: int | None = 1999
    tags: list[str] = strawberry.field(default_factory=lambda: ["rock"])
    child: Child | None = None
    cover: Cover | None = None
    calls: strawberry.Private[list[int]] = strawberry.field(default_factory=list)

    @strawberry.field
    def loud(self, info: strawberry.Info) -> str:
        self.calls.append(1)  # the list it holds, not an attribute assignment
        return self.title.upper()


@strawberry.type
class DiscQuery:
    discs: list[Disc | None] = strawberry.field(default_factory=list)


def disc_schemas() -> tuple[RecordingSchema, RecordingSchema]:
    return (RecordingSchema(query=DiscQuery),
            RecordingSchema(query=DiscQuery, execution_context_class=StrawberryGraphQLCoreExecutionContext))


@pytest.fixture
def kept_hits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the shared values whose leaves LEAVES answered."""
    hits: list[str] = []
    original = selection_plans.LeafMemo.get

    def counting(self: Any, plan: Any, value: Any) -> Any:
        found = original(self, plan, value)
        if found is not None:
            hits.append(getattr(value, "title", type(value).__name__))
        return found

    monkeypatch.setattr(selection_plans.LeafMemo, "get", counting)
    return hits


DISCS = "{ discs { loud title child { name rank } year __typename cover { url } tags } }"


async def test_kept_leaves_answer_again_and_the_other_fields_run(kept_hits: list[str]) -> None:
    """The same shared values twice: the second answer is the first (in order). The Disc holding a plain
    Child is never kept (a changed child shows); the one holding a Cover is kept whole, its cover inside
    (no lookup of its own); `loud`, a resolver, runs every time."""
    discs = [Disc(title="a", child=Child(name="c1")), Disc(title="b", year=None, tags=[], cover=Cover()), None]
    schemas = disc_schemas()
    first = await both(DISCS, lambda: DiscQuery(discs=discs), schemas=schemas)
    assert first.raw == [] and first.data["discs"][0] == {"loud": "A", "title": "a", "child": {"name": "c1", "rank": 1},
                                                          "year": 1999, "__typename": "Disc", "cover": None,
                                                          "tags": ["rock"]}
    assert kept_hits == []
    discs[0].child.name = "changed"  # a Child is not a shared value
    second = await both(DISCS, lambda: DiscQuery(discs=discs), schemas=schemas)
    assert kept_hits == ["b"]
    assert second.data["discs"][0]["child"] == {"name": "changed", "rank": 1}
    assert second.data["discs"][1]["cover"] == {"url": "https://example.com/c.jpg"}
    assert list(second.data["discs"][1]) == ["loud", "title", "child", "year", "__typename", "cover", "tags"]
    assert len(discs[1].calls) == 4  # twice per run of `both`: the resolver is never kept


async def test_irregular_leaves_are_not_kept(kept_hits: list[str]) -> None:
    """A shared value with a null title (non-null) answers graphql-core's error every time, never kept."""
    bad = Disc(title=None)  # type: ignore[arg-type]
    schemas = disc_schemas()
    for _ in range(3):
        answer = await both("{ discs { title year } }", lambda: DiscQuery(discs=[bad]), schemas=schemas)
        assert answer.data == {"discs": [None]}
        error_at(answer, ["discs", 0, "title"], "Cannot return null for non-nullable field Disc.title.")
    assert kept_hits == []


async def test_variables_in_directives_keep_no_leaves(kept_hits: list[str]) -> None:
    """Plans of a document whose selection depends on variables are not kept, so neither are leaves:
    alternating the variable on the same values answers each selection."""
    discs = [Disc(title="v")]
    query = "query($y: Boolean!) { discs { title year @include(if: $y) tags @skip(if: $y) } }"
    schemas = disc_schemas()
    for flag in (True, False, True):
        answer = await both(query, lambda: DiscQuery(discs=discs), {"y": flag}, schemas=schemas)
        assert answer.data == {"discs": [{"title": "v", "year": 1999} if flag else {"title": "v", "tags": ["rock"]}]}
    assert kept_hits == []


def test_leaf_memo_is_bounded_first_in_first_out() -> None:
    memo = selection_plans.LeafMemo(size=2)
    plan = selection_plans._Plan([], shared=True)  # no object type: LeafMemo itself does not look
    values = [Disc(title=str(i)) for i in range(3)]
    for value in values:
        memo.put(plan, value, {})
    assert memo.get(plan, values[0]) is None
    assert memo.get(plan, values[1]) == {} and memo.get(plan, values[2]) == {}


def test_a_shared_value_cannot_change() -> None:
    disc = Disc(title="x")
    with pytest.raises(AttributeError, match="shared catalog value"):
        disc.title = "y"
    assert disc.title == "x"


def test_by_source_builds_once_per_object_and_is_bounded() -> None:
    built: list[dict[str, Any]] = []

    class Thing:
        @classmethod
        @by_source(size=2)
        def of(cls, d: dict[str, Any]) -> tuple[str, int]:
            built.append(d)
            return (d["name"], len(built))

    a, b, c = {"name": "a"}, {"name": "b"}, {"name": "c"}
    assert Thing.of(a) is Thing.of(a) and built == [a]
    assert Thing.of(dict(a)) == ("a", 2)  # an equal but other object: built again
    Thing.of(b)
    Thing.of(c)  # the bound (2): the oldest entries pushed out
    assert Thing.of(a) == ("a", 5)


async def test_kept_objects_are_each_answers_own(kept_hits: list[str]) -> None:
    """A kept Disc's cover (a shared value kept inside it) and tags: an answer edited in place leaves the
    next answer as graphql-core would give it."""
    discs = [Disc(title="own", cover=Cover(url="u1"), tags=["x"])]
    planned = disc_schemas()[0]
    for _ in range(3):
        answer = await run(planned, "{ discs { title cover { url } tags } }", DiscQuery(discs=discs))
        assert answer.data == {"discs": [{"title": "own", "cover": {"url": "u1"}, "tags": ["x"]}]}
        answer.data["discs"][0]["cover"]["url"] = "edited"
        answer.data["discs"][0]["tags"].append("edited")
    assert kept_hits == ["own", "own"]
