"""GraphQL query limits: tokens, repeated fields, depth, aliases, cost, introspection.

`QueryLimits` is built once from the settings and used by the one /graphql pipeline
(schema/execution.py): `parse` (token limit), `validate` (a linear pass over the document first, then
graphql-core's rules only for a document that passed it, so validation work stays bounded) and
`operation_cost` (the cost of the operation that runs, on its coerced variable values). Each limit
answers a GraphQL error with `extensions.code`: TOO_MANY_TOKENS, TOO_MANY_REPEATED_FIELDS,
QUERY_TOO_DEEP, TOO_MANY_ALIASES, QUERY_TOO_COSTLY, INTROSPECTION_DISABLED; any other validation error
carries GRAPHQL_VALIDATION_FAILED, a syntax error GRAPHQL_PARSE_FAILED. A limit of 0 (or less) is off.
With introspection off, error messages carry no "Did you mean ...?" suggestions either (they would
name schema fields, arguments, types and enum values).

Repeated fields: graphql-core's OverlappingFieldsCanBeMergedRule compares every pair of fields with
one response name in a selection set (fragments included), so 2,000 repeated fields cost about
0.2-0.5 s of CPU. More than `max_repeated_fields` fields under one response name in one selection set
are refused before that rule runs.

Cost: every field costs 1, plus what it selects, times its list weight. A list field's weight is its
page size: its own `first`/`last`/`limit`/`pageSize`/`perPage` argument, or the one of the nearest
paginated ancestor (`users(perPage: 100) { data { ... } }`: `data` weighs 100), else the length of
a literal list argument (`tracks(ids: [...])`), else `GRAPHQL_LIST_WEIGHT`. Weights multiply with
nesting. A page size (or id list) given as a variable counts with the value the request sends,
coerced as execution will coerce it (the variable's default when it sends none); the static check at
validation time leaves such operations to that per-request check. Lists of scalars weigh 1.
On an abstract type the fragments of different object types are alternatives: the dearest counts.
Introspection fields (`__schema`, `__type`) are left out of depth and cost; graphql-core's
MaxIntrospectionDepthRule bounds them instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    is_leaf_type,
    parse,
    specified_rules,
    validate,
)
from graphql.validation.rules.max_introspection_depth_rule import MaxIntrospectionDepthRule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

_INT_MAX = 2**31 - 1
_JSON_INT_MAX = 2**53 - 1
PAGE_SIZE_ARGUMENTS = ("first", "last", "limit", "pageSize", "perPage", "per_page")
INTROSPECTION_FIELDS = ("__schema", "__type")
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
MAX_VALIDATION_ERRORS = 50


def limit_error(message: str, code: str, nodes: Any = None, **extra: Any) -> GraphQLError:
    """A GraphQL error with `extensions.code` (and the limit's figures next to it)."""
    return GraphQLError(message, nodes=nodes, extensions={"code": code, **extra})


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """`error` with `extensions.code` set to `code` unless it carries one already (same object)."""
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


class QueryLimits:
    """The limits of settings GRAPHQL_MAX_* / GRAPHQL_LIST_WEIGHT / GRAPHQL_INTROSPECTION (0: off)."""

    def __init__(self, *, max_depth: int = 10, max_aliases: int = 30, max_tokens: int = 2000,
                 max_cost: int = 5000, list_weight: int = 10, introspection: bool = True,
                 max_repeated_fields: int = 10) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.list_weight = max(1, list_weight)
        self.introspection = introspection
        self.max_repeated_fields = max_repeated_fields
        # Suggestions name schema fields, arguments, types and enum values: off with introspection.
        self.hide_suggestions = not introspection
        rules: list[type[ASTValidationRule]] = [MaxIntrospectionDepthRule]
        if not introspection:
            rules.append(NoIntrospectionRule)
        # graphql-core's rules, Strawberry's two, and ours (what Strawberry's own validation would run).
        self.rules: tuple[type[ASTValidationRule], ...] = (
            *specified_rules, MaybeNullValidationRule, OneOfInputValidationRule, *rules)

    @classmethod
    def from_settings(cls, settings: Any) -> QueryLimits:
        return cls(max_depth=settings.graphql_max_depth, max_aliases=settings.graphql_max_aliases,
                   max_tokens=settings.graphql_max_tokens, max_cost=settings.graphql_max_cost,
                   list_weight=settings.graphql_list_weight, introspection=bool(settings.graphql_introspection),
                   max_repeated_fields=settings.graphql_max_repeated_fields)

    # ------------------------------------------------------------------ parsing (token limit)

    def parse(self, query: str) -> DocumentNode:
        """graphql-core's parse, aborted past `max_tokens` tokens (comments count too).

        Raises GraphQLError: TOO_MANY_TOKENS, or a syntax error coded GRAPHQL_PARSE_FAILED.
        """
        try:
            if self.max_tokens <= 0:
                return parse(query)
            return parse(query, max_lexical_tokens=self.max_tokens, max_comments=self.max_tokens)
        except GraphQLError as exc:
            if self.max_tokens > 0 and "Parsing aborted" in exc.message:
                raise limit_error(f"The document has more than {self.max_tokens} tokens.", "TOO_MANY_TOKENS",
                                  maxTokens=self.max_tokens) from None
            raise with_code(exc, PARSE_FAILED) from None

    # ------------------------------------------------------------------ validation

    def validate(self, schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        """Every validation error of `document` (each with a code); [] when it may run.

        The limits first, in one linear pass; graphql-core's rules (some quadratic in repeated
        fields) only for a document that passed them. The cost of an operation whose page sizes come
        from variables is left to `operation_cost`, which knows the values.
        """
        errors = list(self.check(schema, document))
        if errors:
            return errors
        errors = validate(schema, document, self.rules, max_errors=MAX_VALIDATION_ERRORS,
                          hide_suggestions=self.hide_suggestions)
        return [with_code(e, VALIDATION_FAILED) for e in errors]

    def check(self, schema: GraphQLSchema, document: DocumentNode) -> Iterator[GraphQLError]:
        """The limits that need no variable values: repeated fields, aliases, depth, static cost."""
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        if self.max_repeated_fields > 0:
            repeated = _Repeats(fragments).worst(document)
            if repeated is not None and repeated[1] > self.max_repeated_fields:
                name, count = repeated
                yield limit_error(f"The field '{name}' is selected {count} times in one selection set; "
                                  f"the maximum is {self.max_repeated_fields}.", "TOO_MANY_REPEATED_FIELDS",
                                  maxRepeatedFields=self.max_repeated_fields)
                return  # the walks below would multiply the same repetition
        if self.max_aliases > 0:
            aliases = sum(1 for _ in _aliases(document))
            if aliases > self.max_aliases:
                yield limit_error(f"The document has {aliases} aliases; the maximum is {self.max_aliases}.",
                                  "TOO_MANY_ALIASES", maxAliases=self.max_aliases)
        if self.max_depth <= 0 and self.max_cost <= 0:
            return
        for op in document.definitions:
            if not isinstance(op, OperationDefinitionNode):
                continue
            walk = self._walk(schema, fragments, op, None)
            if walk is None:
                continue  # KnownOperationTypes reports it
            cost, depth = walk.result
            name = f"'{op.name.value}' " if op.name else ""
            if self.max_depth > 0 and depth > self.max_depth:
                yield limit_error(f"The operation {name}is {depth} levels deep; the maximum is {self.max_depth}.",
                                  "QUERY_TOO_DEEP", [op], depth=depth, maxDepth=self.max_depth)
            if not walk.uses_variables:
                yield from self._cost_error(op, cost)

    def operation_cost(self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                       variables: Mapping[str, Any]) -> list[GraphQLError]:
        """QUERY_TOO_COSTLY for `operation` with its coerced `variables`, or []."""
        if self.max_cost <= 0:
            return []
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        walk = self._walk(schema, fragments, operation, variables)
        return [] if walk is None else list(self._cost_error(operation, walk.result[0]))

    def cost_uses_variables(self, schema: GraphQLSchema, document: DocumentNode,
                            operation: OperationDefinitionNode) -> bool:
        """Whether `operation`'s cost depends on variable values (then `operation_cost` runs per request)."""
        if self.max_cost <= 0 or not operation.variable_definitions:
            return False
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        walk = self._walk(schema, fragments, operation, None)
        return walk is not None and walk.uses_variables

    def _walk(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
              op: OperationDefinitionNode, variables: Mapping[str, Any] | None) -> _Walk | None:
        root = schema.get_root_type(op.operation)
        if root is None:
            return None
        walk = _Walk(schema, fragments, op, self.list_weight, variables)
        walk.result = walk.selection_set(op.selection_set, root, None, frozenset())
        return walk

    def _cost_error(self, op: OperationDefinitionNode, cost: int) -> Iterator[GraphQLError]:
        if self.max_cost > 0 and cost > self.max_cost:
            name = f"'{op.name.value}' " if op.name else ""
            cost = min(cost, _JSON_INT_MAX)  # JSON encoders (and JavaScript) stop at 2**53
            yield limit_error(f"The operation {name}costs {cost}; the maximum is {self.max_cost}.",
                              "QUERY_TOO_COSTLY", [op], cost=cost, maxCost=self.max_cost)


class NoIntrospectionRule(ValidationRule):
    """`__schema` / `__type` refused (GRAPHQL_INTROSPECTION=false); `__typename` stays allowed."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(limit_error("GraphQL introspection is disabled on this server.",
                                          "INTROSPECTION_DISABLED", [node]))


def _aliases(document: DocumentNode) -> Iterator[FieldNode]:
    stack: list[Any] = [d.selection_set for d in document.definitions if getattr(d, "selection_set", None)]
    while stack:
        selection_set = stack.pop()
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode) and sel.alias is not None:
                yield sel
            if getattr(sel, "selection_set", None) is not None:
                stack.append(sel.selection_set)


class _Repeats:
    """The response name selected most often in one selection set, fragments flattened into it as
    OverlappingFieldsCanBeMerged sees them (each fragment counted once per set; memoised; cycles cut)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, dict[str, int]] = {}

    def worst(self, document: DocumentNode) -> tuple[str, int] | None:
        worst: tuple[str, int] | None = None
        stack: list[SelectionSetNode] = [d.selection_set for d in document.definitions
                                         if getattr(d, "selection_set", None) is not None]
        while stack:
            selection_set = stack.pop()
            counts = self.counts(selection_set, frozenset())
            for name, count in counts.items():
                if worst is None or count > worst[1]:
                    worst = (name, count)
            for sel in selection_set.selections:
                if getattr(sel, "selection_set", None) is not None:
                    stack.append(sel.selection_set)
        return worst

    def counts(self, selection_set: SelectionSetNode, seen: frozenset[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        spreads: set[str] = set()
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = (sel.alias or sel.name).value
                counts[name] = counts.get(name, 0) + 1
            elif isinstance(sel, InlineFragmentNode):
                for name, n in self.counts(sel.selection_set, seen).items():
                    counts[name] = counts.get(name, 0) + n
            elif isinstance(sel, FragmentSpreadNode):
                spreads.add(sel.name.value)
        for fragment in spreads:
            if fragment in seen or fragment not in self.fragments:
                continue  # cyclic or unknown: other rules report it
            if fragment not in self.memo:
                self.memo[fragment] = self.counts(self.fragments[fragment].selection_set, seen | {fragment})
            for name, n in self.memo[fragment].items():
                counts[name] = counts.get(name, 0) + n
        return counts


def _unwrap(type_: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(type_, (GraphQLList, GraphQLNonNull)):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


class _Walk:
    """Cost and depth of one operation, fragments expanded (memoised; cycles cut).

    `variables`: the coerced variable values of the request, or None for the static check (then a
    variable counts as its default and `uses_variables` records that the figure is not final).
    """

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 op: OperationDefinitionNode, list_weight: int, variables: Mapping[str, Any] | None) -> None:
        self.schema = schema
        self.fragments = fragments
        self.list_weight = list_weight
        self.variables = variables
        self.uses_variables = False
        self.result: tuple[int, int] = (0, 0)
        self.variable_defaults = {
            v.variable.name.value: int(v.default_value.value)
            for v in op.variable_definitions or ()
            if isinstance(v.default_value, IntValueNode)
        }
        self.memo: dict[tuple[str, int | None], tuple[int, int]] = {}

    def selection_set(self, node: SelectionSetNode | None, parent: GraphQLNamedType, carry: int | None,
                      seen: frozenset[str]) -> tuple[int, int]:
        if node is None:
            return 0, 0
        common_cost, depth = 0, 0
        alternatives: dict[str, int] = {}  # fragments on other object types: only one of them applies
        for sel in node.selections:
            if isinstance(sel, FieldNode):
                cost, d = self.field(sel, parent, carry, seen)
                common_cost += cost
                depth = max(depth, d)
                continue
            if isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                cost, d = self.selection_set(sel.selection_set, self._type(cond, parent), carry, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue  # unknown or cyclic: other rules report it
                cond = fragment.type_condition.name.value
                key = (name, carry)
                if key not in self.memo:
                    self.memo[key] = self.selection_set(fragment.selection_set, self._type(cond, parent), carry,
                                                        seen | {name})
                cost, d = self.memo[key]
            else:
                continue
            depth = max(depth, d)
            target = self.schema.get_type(cond) if cond else None
            if (cond and cond != parent.name and isinstance(target, GraphQLObjectType)
                    and not isinstance(parent, GraphQLObjectType)):
                alternatives[cond] = alternatives.get(cond, 0) + cost
            else:
                common_cost += cost
        return common_cost + max(alternatives.values(), default=0), depth

    def _type(self, name: str | None, parent: GraphQLNamedType) -> GraphQLNamedType:
        found = self.schema.get_type(name) if name else None
        return found or parent

    def field(self, node: FieldNode, parent: GraphQLNamedType, carry: int | None,
              seen: frozenset[str]) -> tuple[int, int]:
        name = node.name.value
        if name.startswith("__"):
            return 0, 0  # __typename is free; introspection has its own rule
        field_def = getattr(parent, "fields", {}).get(name)
        if field_def is None:
            return 1, 1  # unknown field: FieldsOnCorrectType reports it
        named, is_list = _unwrap(field_def.type)
        size = self._page_size(node, field_def)
        weight = 1
        if is_list and not is_leaf_type(named):
            weight = size or carry or self._list_length(node) or self.list_weight
            carry = None
        elif size is not None:
            carry = size  # a paginated object (users, searchTracks, ...): its list inside weighs `size`
        cost, depth = self.selection_set(node.selection_set, named, carry, seen)
        return weight * (1 + cost), depth + 1

    def _variable(self, node: VariableNode) -> Any:
        """A variable's value: the request's (coerced), or None (its default: static check)."""
        self.uses_variables = True
        if self.variables is None:
            return None
        return self.variables.get(node.name.value)

    def _page_size(self, node: FieldNode, field_def: Any) -> int | None:
        given = {a.name.value: a.value for a in node.arguments or ()}
        for name in PAGE_SIZE_ARGUMENTS:
            if name not in field_def.args:
                continue
            value = given.get(name)
            size: Any = None
            if isinstance(value, IntValueNode):
                size = int(value.value)
            elif isinstance(value, VariableNode):
                size = self._variable(value)
                if self.variables is None or (size is None and value.name.value not in self.variables):
                    size = self.variable_defaults.get(value.name.value)
            if size is None and (value is None or isinstance(value, VariableNode)):
                default = field_def.args[name].default_value
                size = default if isinstance(default, int) else None
            if isinstance(size, bool) or not isinstance(size, int):
                return self.list_weight
            return min(max(1, size), _INT_MAX)  # GraphQL Int is 32-bit
        return None

    def _list_length(self, node: FieldNode) -> int | None:
        for arg in node.arguments or ():
            if isinstance(arg.value, ListValueNode):
                return max(1, len(arg.value.values))
            if isinstance(arg.value, VariableNode):
                value = self._variable(arg.value)
                if isinstance(value, (list, tuple)):
                    return max(1, len(value))
        return None
