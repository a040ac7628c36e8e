"""Selection plans: a selection set's fields completed in one loop, without graphql-core's per-field
machinery, with the answer and the errors graphql-core itself would give.

graphql-core executes every field the same way (`Executor.execute_field`): a response path, a
`GraphQLResolveInfo` of 15 values, the resolver, two awaitable checks, then `complete_value` walking the
type (non-null, list, leaf, abstract, object) for each value, about 2 µs a field. A home page's answer
has about 5,000 fields (bench/home_page.py), 95% of them a dataclass attribute (`_attribute` resolvers,
schema/execution.py): most of the request was that machinery.

`PlannedExecutionContext.execute_fields` sorts the fields of each selection set once (its *plan*):

- an attribute field whose type is a leaf, an object, or a list of either (no arguments, no
  `is_type_of`, no fragment variables, no `@stream`) is read with `getattr` and completed inline: a leaf
  by its type's `coerce_output_value` (a str or bool that String, ID or Boolean answer unchanged: by a
  type comparison), an object by executing its sub-selection's plan, a list item by item;
- `__typename` is the object type's name;
- a field with a resolver function and no arguments is called as `execute_field` calls it (the same
  GraphQLResolveInfo), less its lookups; the object it answers is completed by plan;
- anything else (arguments, an abstract type, a nested list, ...) goes to graphql-core's `execute_field`.

The fast path only ever takes the way graphql-core would take when all is well. Whenever a value is
irregular before any sub-selection ran (a null in a non-null position, a leaf its scalar refuses, a list
that is not a list, an exception or an awaitable where a value was expected) the field is handed to
`execute_field` instead, which reads the attribute again and answers exactly graphql-core's error: an
attribute read has no side effect. Errors raised below a started object or list are handled as
`execute_field` and `complete_iterable_value` handle them (`handle_field_error` at the item, then at the
field; pending siblings settled in the background), so null propagation, error paths and masking are
graphql-core's. tests/test_selection_plans.py runs the same documents through both executors and
compares answers and errors.

What is kept between requests:
- SelectionCache (on the document's DocumentCache entry): the collected selection sets and their plans,
  unless a directive argument holds a variable;
- LeafMemo (LEAVES, bounded): the completed leaves of a *shared value* (a class with SHARED_VALUE_MARK,
  e.g. a catalog Release, which cannot change once built) under a kept plan; its other fields run as usual.

Middleware (an extension's `resolve` hook) wraps every resolver: with one, nothing is planned, unless
every middleware says it leaves attribute fields alone (`skips_attribute_fields = True`, as our tracing
extension: Strawberry does not trace attribute fields); resolver functions then run through it.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from graphql import (DirectiveNode, DocumentNode, FieldNode, GraphQLField, GraphQLObjectType, GraphQLOutputType, Node,
                     VariableNode, is_leaf_type, is_list_type, is_non_null_type, is_object_type)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, GroupedFieldSet, collect_subfields
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["ATTRIBUTE_MARK", "LEAVES", "SHARED_VALUE_MARK", "LeafMemo", "PlannedExecutionContext", "SelectionCache"]

ATTRIBUTE_MARK = "_plain_attribute"
"""The attribute a resolver carries when it only reads `getattr(source, <its value>)` (schema/execution.py's
`_attribute`): such a field may be planned."""

# What a planned field is (`_Entry.kind`).
_SLOW = 0  # graphql-core's execute_field
_TYPENAME = 1  # the object type's name
_LEAF = 2  # a scalar or enum attribute
_OBJECT = 3  # an object attribute: its sub-selection
_LEAF_LIST = 4  # a list of scalars or enums
_OBJECT_LIST = 5  # a list of objects
_RESOLVER = 6  # a field with a resolver function and no arguments: called as execute_field calls it

# Leaf types whose output coercion answers a value of one exact Python type as it is (graphql-core's
# serialize_string and serialize_id answer a str unchanged, serialize_boolean a bool): the plan compares
# the type instead of calling the coercion.
_UNCHANGED = {serialize_string: str, serialize_id: str, serialize_boolean: bool}


class _Entry:
    """One field of a plan: how `execute_fields` completes it (`kind`) and what it needs for that."""

    __slots__ = (
        "attribute",
        "coerce",
        "details",
        "field",
        "field_type",
        "item_type",
        "items_non_null",
        "kind",
        "name",
        "nodes",
        "non_null",
        "object_type",
        "sub",
        "typename",
        "unchanged",
    )

    def __init__(self, kind: int, name: str, details: FieldDetailsList) -> None:
        self.kind = kind
        self.name = name  # the response name
        self.details = details  # graphql-core's field details (the field's nodes)
        self.attribute = ""  # the attribute read (attribute kinds)
        self.field_type: GraphQLOutputType | None = None  # the field's type, as declared
        self.non_null = False  # whether that type is non-null
        self.coerce: Callable[[Any], Any] | None = None  # a leaf's (or leaf item's) output coercion
        self.unchanged: type | None = None  # the Python type `coerce` answers unchanged, if any
        self.object_type: GraphQLObjectType | None = None  # an object's (or object item's) type
        self.item_type: GraphQLOutputType | None = None  # a list's item type, as declared
        self.items_non_null = False
        self.field: GraphQLField | None = None  # the field definition (_RESOLVER)
        self.nodes: list[FieldNode] = []  # the field's nodes, for its GraphQLResolveInfo (_RESOLVER)
        self.typename = ""  # the parent type's name (_TYPENAME)
        # The sub-selection on `object_type`, once collected: (grouped field set, its plan or None when
        # something in it is deferred, the new defer usages). It lives as long as this entry: the request's
        # plan, or the document's SelectionCache when collection cannot depend on variables.
        self.sub: tuple[GroupedFieldSet, _Plan | None, Sequence[Any]] | None = None


SHARED_VALUE_MARK = "__shared_value__"
"""A class attribute (True) of the Python classes whose instances never change once built and may be shared
between requests (schema/catalog.py's SharedValue): the leaves of such an object are kept by LeafMemo."""

# What a kept dict may hold: leaves, and attribute objects when they are shared values completed wholly
# from kept leaves (checked as they complete: `_kept_whole`).
_KEPT_KINDS = frozenset((_TYPENAME, _LEAF, _LEAF_LIST, _OBJECT))


class _Plan:
    """The entries of one selection set on one object type, in response order, and what LeafMemo needs:
    the response names, the entries a kept dict cannot hold (`rest`: resolvers, lists of objects, what
    graphql-core runs), the kept ones whose values are containers (`containers`: lists of leaves, objects:
    each answer gets its own), and `shared_class`: the Python class whose instances' completed fields may be
    kept (the object type's class when it has SHARED_VALUE_MARK and the plan lives in a document's
    SelectionCache, so that its identity is stable, and has fields to keep; else None)."""

    __slots__ = ("__weakref__", "containers", "entries", "names", "rest", "shared_class")

    def __init__(self, entries: list[_Entry], shared: bool, object_type: GraphQLObjectType | None = None) -> None:
        self.entries = entries
        self.names = [entry.name for entry in entries]
        self.containers = [entry.name for entry in entries if entry.kind in (_LEAF_LIST, _OBJECT)]
        self.rest = [entry for entry in entries if entry.kind not in _KEPT_KINDS]
        definition = (object_type.extensions or {}).get("strawberry-definition") if object_type is not None else None
        origin = getattr(definition, "origin", None)
        self.shared_class: type | None = (
            origin if shared and len(self.rest) < len(entries) and getattr(origin, SHARED_VALUE_MARK, False) is True
            else None)


_CONTAINERS = (dict, list)


def _fresh(value: Any) -> Any:
    """A copy of a completed value's dicts and lists (its scalars are immutable and shared)."""
    if type(value) is dict:
        return {k: _fresh(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if type(value) is list:
        return [_fresh(v) if type(v) in _CONTAINERS else v for v in value]
    return value


class LeafMemo:
    """The completed leaves of shared values (SHARED_VALUE_MARK) by (plan, value), across requests.

    A warm home page answers the same few hundred catalog values every time, each with up to 20 leaves and
    a few small objects (a price, a label): the second time, an object's kept fields are one dict copy, and
    only its other fields (resolvers such as a release's artist) run. What is kept is a dict in response
    order with every field's name: the leaves' values, the completed attribute objects that are shared
    values kept whole themselves (a Release's `price`: a Price whose own plan keeps everything), and None
    where the other fields go (they are filled in each time). Kept only when all of that completed inline
    (no error, nothing graphql-core had to decide). Sound because the value cannot change once built, nor
    its attribute values, and those fields read only them (attributes and their scalar coercion), whoever
    asks.

    Each answer gets its own dicts and lists (`_fresh`), as graphql-core builds new ones for every answer:
    whoever edits an answer in place (an extension, a post-processor) cannot change another's. Bounded:
    `size` entries in all, first in first out; each holds its value, so its id is not reused, and its plan
    only weakly: a plan holds its document's nodes (and through their locations the document's whole text),
    which must go when the DocumentCache drops the document; an entry of a plan gone never answers again (a
    new plan with the same id finds a dead reference) and is pushed out in its turn.
    """

    def __init__(self, size: int = 16_384) -> None:
        self.size = size
        self._kept: dict[tuple[int, int], tuple[weakref.ref[_Plan], Any, dict[str, Any]]] = {}

    def _hit(self, plan: _Plan, value: Any) -> dict[str, Any] | None:
        hit = self._kept.get((id(plan), id(value)))
        return hit[2] if hit is not None and hit[0]() is plan and hit[1] is value else None

    def get(self, plan: _Plan, value: Any) -> dict[str, Any] | None:
        """This answer's copy of the fields kept for `value` under `plan` (None for its other fields), or
        None."""
        kept = self._hit(plan, value)
        if kept is None:
            return None
        kept = kept.copy()
        for name in plan.containers:
            item = kept[name]
            if item is not None:
                kept[name] = _fresh(item)
        return kept

    def holds(self, plan: _Plan, value: Any) -> bool:
        return self._hit(plan, value) is not None

    def put(self, plan: _Plan, value: Any, results: dict[str, Any]) -> None:
        """Keep the fields of `results` (the completed fields of `value` under `plan`) but `plan.rest`: copies
        of its dicts and lists, not this answer's own."""
        kept = dict.fromkeys(plan.names)
        for entry in plan.entries:
            if entry.kind in _KEPT_KINDS:
                item = results[entry.name]
                kept[entry.name] = _fresh(item) if type(item) in _CONTAINERS else item
        if len(self._kept) >= self.size:
            del self._kept[next(iter(self._kept))]
        self._kept[(id(plan), id(value))] = (weakref.ref(plan), value, kept)


LEAVES = LeafMemo()
"""The process's LeafMemo (one event loop per process; plain dict operations)."""


class _Irregular(Exception):
    """A value the fast path does not complete; graphql-core's execute_field answers it.

    Raised as a new instance each time: a shared instance would collect the traceback of every raise (Python
    extends a raised exception's traceback), keeping the frames of past requests, and their values, alive."""


# The types of the values a leaf completes inline without asking whether they are an exception or an
# awaitable (anything else is asked: a Future is not a coroutine, and String or JSON would accept it).
_PLAIN_VALUES = frozenset((str, int, float, bool))


class SelectionCache:
    """One document's collected selection sets and their plans, kept across requests (on the document's
    entry in the DocumentCache, schema/execution.py): a request of a known document then neither collects
    fields (graphql-core's `collect_subfields`, about 40 selection sets for a home page) nor plans them again.

    Only for a document whose collection cannot depend on variable values (`for_document`: no variable in
    any directive argument, so `@skip`/`@include` are literals). Keys hold the identity of the document's
    own field nodes, which live as long as the document and this cache; a grouped field set made here is
    `owned`, and only owned ones have their plans kept (an id of one that is not owned could be reused by
    another object after its request).
    """

    __slots__ = ("collected", "owned", "plans")

    def __init__(self) -> None:
        self.collected: dict[tuple[GraphQLObjectType, tuple[int, ...]], CollectedFields] = {}
        self.owned: dict[int, GroupedFieldSet] = {}
        self.plans: dict[tuple[GraphQLObjectType, int], _Plan] = {}

    @staticmethod
    def for_document(document: DocumentNode) -> SelectionCache | None:
        """A cache for `document`, or None when a directive argument holds a variable."""
        return None if _directive_variable(document) else SelectionCache()


def _walk(node: Any) -> Iterator[Node]:
    """Every syntax node under `node` (itself included). A loop, not a recursion: a valid document within
    the token limit may nest ~150 inline fragments, which graphql-core executes; a recursion of a few frames
    a level would raise RecursionError (an internal error where graphql-core answers)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, Node):
            yield node
            stack.extend(getattr(node, key, None) for key in node.keys if key != "loc")
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def _directive_variable(node: Any) -> bool:
    """Whether a directive anywhere under `node` has a variable in its arguments."""
    return any(isinstance(directive, DirectiveNode)
               and any(isinstance(value, VariableNode) for value in _walk(directive.arguments))
               for directive in _walk(node))


def _plannable_middleware(manager: Any) -> bool:
    return manager is None or all(getattr(m, "skips_attribute_fields", False) for m in manager.middlewares)


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor with planned attribute fields (module docstring). A drop-in
    `execution_context_class`: every other method is graphql-core's, and a request with a middleware that
    wraps attribute fields runs wholly as before."""

    def __init__(self, *args: Any, selection_cache: SelectionCache | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, _Plan]] = {}
        self._planned = _plannable_middleware(self.middleware_manager)
        self._shared = selection_cache

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
                          ) -> CollectedFields:
        """graphql-core's memoized `collect_subfields`, answered from the document's SelectionCache when
        there is one (the same result: the collection depends on the nodes and the type only there)."""
        shared = self._shared
        if shared is None:
            return super().collect_subfields(return_type, field_details_list)
        key = (return_type, id(field_details_list))
        cached = self._relevant_sub_fields.get(key)
        if cached is not None:
            return cached[1]
        shared_key = (return_type, tuple(id(details.node) for details in field_details_list))
        collected = shared.collected.get(shared_key)
        if collected is None:
            collected = collect_subfields(self.schema, self.fragments, self.variable_values, self.operation,
                                          return_type, field_details_list, self.hide_suggestions)
            shared.collected[shared_key] = collected
            shared.owned[id(collected[0])] = collected[0]
        self._relevant_sub_fields[key] = (field_details_list, collected)
        return collected

    # -- plans -------------------------------------------------------------------------------------------

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> _Plan:
        """The plan of one selection set on `parent_type`: from the document's SelectionCache when the grouped
        field set is one it owns, else built once per request (the grouped field set is graphql-core's
        memoized one, kept alive beside the plan, so its id is not reused)."""
        key = (parent_type, id(grouped_field_set))
        shared = self._shared
        if shared is not None and key[1] in shared.owned:
            plan = shared.plans.get(key)
            if plan is None:
                plan = shared.plans[key] = _Plan(self._entries(parent_type, grouped_field_set), True, parent_type)
            return plan
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = (grouped_field_set,
                                        _Plan(self._entries(parent_type, grouped_field_set), False))
        return found[1]

    def _entries(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> list[_Entry]:
        return [self._entry(parent_type, name, details) for name, details in grouped_field_set.items()]

    def _entry(self, parent_type: GraphQLObjectType, response_name: str, details: FieldDetailsList) -> _Entry:
        node = details[0].node
        name = node.name.value
        if any(d.fragment_variable_values is not None or d.defer_usage is not None
               or any(directive.name.value == "stream" for directive in d.node.directives or ())
               for d in details):
            return _Entry(_SLOW, response_name, details)
        if name == "__typename":
            entry = _Entry(_TYPENAME, response_name, details)
            entry.typename = parent_type.name
            return entry
        field = self.schema.get_field(parent_type, name)
        if field is None or field.args or node.arguments:
            return _Entry(_SLOW, response_name, details)
        field_type = field.type
        non_null = is_non_null_type(field_type)
        named = field_type.of_type if non_null else field_type  # type: ignore[union-attr]
        attribute = getattr(field.resolve, ATTRIBUTE_MARK, None)
        if attribute is None:
            entry = _Entry(_RESOLVER, response_name, details)
            entry.field, entry.nodes = field, [d.node for d in details]
            if is_object_type(named) and named.is_type_of is None:
                entry.object_type = named
        elif is_leaf_type(named):
            entry = _Entry(_LEAF, response_name, details)
            entry.coerce = named.coerce_output_value
            entry.unchanged = _UNCHANGED.get(entry.coerce)
        elif is_object_type(named) and named.is_type_of is None:
            entry = _Entry(_OBJECT, response_name, details)
            entry.object_type = named
        elif is_list_type(named):
            item_type = named.of_type
            items_non_null = is_non_null_type(item_type)
            item = item_type.of_type if items_non_null else item_type
            if is_leaf_type(item):
                entry = _Entry(_LEAF_LIST, response_name, details)
                entry.coerce = item.coerce_output_value
            elif is_object_type(item) and item.is_type_of is None:
                entry = _Entry(_OBJECT_LIST, response_name, details)
                entry.object_type = item
            else:
                return _Entry(_SLOW, response_name, details)
            entry.item_type, entry.items_non_null = item_type, items_non_null
        else:
            return _Entry(_SLOW, response_name, details)
        entry.attribute = attribute or ""
        entry.field_type, entry.non_null = field_type, non_null
        return entry

    # -- execution ---------------------------------------------------------------------------------------

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's `execute_fields` (the fields of one object, concurrently), with the plan's fields
        completed inline. Answers the object's dict, or an awaitable of it."""
        if not self._planned or position_context is not None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        return self._execute_plan(parent_type, source_value, path, self._plan(parent_type, grouped_field_set))

    def _execute_plan(self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None,
                      plan: _Plan) -> AwaitableOrValue[dict[str, Any]]:
        """The fields of one object by its plan: its dict, or an awaitable of it. The leaves of a shared value
        come from LEAVES when it holds them (then only the other fields run), and are kept there after."""
        keep = False
        entries = plan.entries
        if type(source_value) is plan.shared_class:
            kept = LEAVES.get(plan, source_value)
            if kept is not None:
                results = kept
                entries = plan.rest
            else:
                results, keep = {}, True
        else:
            results = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        resolvers = self.middleware_manager is None  # a middleware wraps resolver functions: theirs is the slow way
        try:
            for entry in entries:
                kind, response_name = entry.kind, entry.name
                if kind == _LEAF:  # inline: most fields of an answer are leaves
                    try:
                        value = getattr(source_value, entry.attribute)
                        if value is None or value is Undefined:
                            if not entry.non_null:
                                results[response_name] = None
                                continue
                        elif type(value) is entry.unchanged:
                            results[response_name] = value
                            continue
                        elif type(value) in _PLAIN_VALUES or not (isinstance(value, Exception)
                                                                  or is_awaitable(value)):
                            value = entry.coerce(value)  # type: ignore[misc]
                            if value is not None and value is not Undefined:
                                results[response_name] = value
                                continue
                    except Exception:  # noqa: BLE001, S110  graphql-core's execute_field answers the error
                        pass
                    kind, keep = _SLOW, False
                elif kind == _TYPENAME:
                    results[response_name] = entry.typename
                    continue
                elif kind == _RESOLVER:
                    if resolvers:
                        result = self._resolved(entry, parent_type, source_value, Path(path, response_name,
                                                                                         parent_type.name))
                    else:
                        kind = _SLOW
                elif kind != _SLOW:
                    try:
                        value = self._value(entry, source_value)
                    except _Irregular:
                        kind = _SLOW
                        keep = keep and entry.kind not in _KEPT_KINDS
                    else:
                        if value is None:
                            results[response_name] = None
                            continue
                        field_path = Path(path, response_name, parent_type.name)
                        if kind == _OBJECT:
                            result = self._object(entry, value, field_path)
                            keep = keep and self._kept_whole(entry, value)
                        elif kind == _LEAF_LIST:
                            try:
                                results[response_name] = self._leaf_list(entry, value)
                                continue
                            except _Irregular:
                                kind, keep = _SLOW, False
                        else:
                            result = self._object_list(entry, value, field_path)
                if kind == _SLOW:
                    result = self.execute_field(parent_type, source_value, entry.details,
                                                Path(path, response_name, parent_type.name), None)
                    if result is Undefined:
                        results.pop(response_name, None)  # a kept placeholder included
                        continue
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if keep:
            LEAVES.put(plan, source_value, results)
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    @staticmethod
    def _kept_whole(entry: _Entry, value: Any) -> bool:
        """Whether the object `value` of an attribute field just completed as a shared value of a plan that
        keeps all its fields, and was kept (so its completed dict is a function of `value` alone)."""
        plan = entry.sub[1] if entry.sub is not None else None
        return plan is not None and not plan.rest and type(value) is plan.shared_class and LEAVES.holds(plan, value)

    def _resolved(self, entry: _Entry, parent_type: GraphQLObjectType, source: Any, path: Path) -> Any:
        """A field with a resolver function and no arguments, as graphql-core's `execute_field` runs it
        without middleware (the same GraphQLResolveInfo, call and completion, errors handled at the field),
        less its per-call lookups; an object it answers is completed as `_object`."""
        field, field_type, details = entry.field, entry.field_type, entry.details
        assert field is not None and field_type is not None
        info = self.build_resolve_info(field, list(entry.nodes), parent_type, path)  # a copy, as to_nodes makes
        try:
            result = (field.resolve or self.field_resolver)(source, info)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(field_type, details, info, path, result, None)
            if (entry.object_type is not None and result is not None and result is not Undefined
                    and not isinstance(result, Exception)):
                completed = self._subfields(entry, result, path)
            else:
                completed = self.complete_value(field_type, details, info, path, result, None)
            if self.is_awaitable(completed):
                return self._awaited(completed, field_type, details, path)
        except Exception as raw_error:  # noqa: BLE001  as graphql-core: any error is the field's
            self.handle_field_error(raw_error, field_type, details, path)
            return None
        return completed

    def _value(self, entry: _Entry, source: Any) -> Any:
        """An object or list attribute: the value (None for an allowed null); raises _Irregular for what
        graphql-core answers with an error (a null in a non-null field, a list that is not a list or has a
        null where items are non-null, an exception or awaitable in place of a value)."""
        try:
            value = getattr(source, entry.attribute)
        except Exception:  # noqa: BLE001  as graphql-core: any error is the field's
            raise _Irregular from None
        if value is None or value is Undefined:
            if entry.non_null:
                raise _Irregular
            return None
        kind = entry.kind
        if kind == _OBJECT:
            if isinstance(value, Exception) or self.is_awaitable(value):
                raise _Irregular
            return value
        if type(value) is not list and type(value) is not tuple:
            raise _Irregular
        if kind == _OBJECT_LIST:
            is_awaitable = self.is_awaitable
            for item in value:
                if item is None or item is Undefined:
                    if entry.items_non_null:
                        raise _Irregular
                elif isinstance(item, Exception) or is_awaitable(item):
                    raise _Irregular
        return value

    def _leaf_list(self, entry: _Entry, value: Sequence[Any]) -> list[Any]:
        """A list of leaves, each coerced; raises _Irregular for an item graphql-core would answer with an
        error (a null where items are non-null, an exception, a value its type refuses) or await."""
        coerce, items_non_null, is_awaitable = entry.coerce, entry.items_non_null, self.is_awaitable
        assert coerce is not None
        out = []
        for item in value:
            if item is None or item is Undefined:
                if items_non_null:
                    raise _Irregular
                out.append(None)
                continue
            if type(item) not in _PLAIN_VALUES and (isinstance(item, Exception) or is_awaitable(item)):
                raise _Irregular
            try:
                coerced = coerce(item)
            except Exception:  # noqa: BLE001  as graphql-core: any error is the field's
                raise _Irregular from None
            if coerced is None or coerced is Undefined:
                raise _Irregular
            out.append(coerced)
        return out

    def _subfields(self, entry: _Entry, value: Any, path: Path) -> Any:
        """The entry's sub-selection executed on `value` (dict or awaitable), as graphql-core's
        `collect_and_execute_subfields` (collected once per entry, planned unless something is deferred)."""
        sub = entry.sub
        if sub is None:
            object_type = entry.object_type
            assert object_type is not None
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, entry.details)
            plan = None if new_defer_usages else self._plan(object_type, grouped_field_set)
            sub = entry.sub = (grouped_field_set, plan, new_defer_usages)
        if sub[1] is None:
            return self.execute_collected_subfields(entry.object_type, value, path, sub[0], sub[2], None)  # type: ignore[arg-type]
        return self._execute_plan(entry.object_type, value, path, sub[1])  # type: ignore[arg-type]

    def _object(self, entry: _Entry, value: Any, path: Path) -> Any:
        """An object attribute's sub-selection (dict or awaitable), errors handled as `execute_field`."""
        field_type, details, object_type = entry.field_type, entry.details, entry.object_type
        assert field_type is not None and object_type is not None
        try:
            completed = self._subfields(entry, value, path)
        except Exception as raw_error:  # noqa: BLE001  as graphql-core: any error is the field's
            self.handle_field_error(raw_error, field_type, details, path)
            return None
        if self.is_awaitable(completed):
            return self._awaited(completed, field_type, details, path)
        return completed

    def _object_list(self, entry: _Entry, value: Sequence[Any], path: Path) -> Any:
        """A list of objects (list or awaitable), as `execute_field` with `complete_iterable_value`: an
        item's error handled at the item, a non-null item's error at the field."""
        field_type, details, item_type, object_type = entry.field_type, entry.details, entry.item_type, entry.object_type
        assert field_type is not None and item_type is not None and object_type is not None
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        pending: list[int] = []
        try:
            for index, item in enumerate(value):
                if item is None or item is Undefined:
                    completed.append(None)
                    continue
                item_path = Path(path, index, None)
                try:
                    result = self._subfields(entry, item, item_path)
                except Exception as raw_error:  # noqa: BLE001  as graphql-core: any error is the field's
                    self.handle_field_error(raw_error, item_type, details, item_path)
                    result = None
                if is_awaitable(result):
                    result = self._awaited(result, item_type, details, item_path)
                    pending.append(index)
                completed.append(result)
        except Exception as raw_error:  # noqa: BLE001  as graphql-core: any error is the field's
            if pending:
                self.settle_in_background([completed[index] for index in pending])
            self.handle_field_error(raw_error, field_type, details, path)
            return None
        if not pending:
            return completed

        async def get_completed() -> list[Any]:
            if len(pending) == 1:
                completed[pending[0]] = await completed[pending[0]]
            else:
                for index, result in zip(pending, await gather_with_cancel(*(completed[i] for i in pending)),
                                         strict=True):
                    completed[index] = result
            return completed

        return self._awaited(get_completed(), field_type, details, path)

    async def _awaited(self, completed: Awaitable[Any], output_type: GraphQLOutputType,
                       details: FieldDetailsList, path: Path) -> Any:
        """A pending completion at `path`, a field's (`output_type` its type: `execute_field`'s handling) or a
        list item's (the item type: `complete_list_item_value`'s); its error handled there."""
        try:
            return await completed
        except Exception as raw_error:  # noqa: BLE001  as graphql-core: any error is the field's
            self.handle_field_error(raw_error, output_type, details, path)
            return None
