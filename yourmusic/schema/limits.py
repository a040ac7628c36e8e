"""GraphQL query limits: tokens, depth, aliases, cost, introspection. One definition, both paths.

`QueryLimits` is built once from the settings. Its `parse` (token limit, cached) and its
`rules` (graphql-core validation rules) are used by Strawberry's pipeline (`extensions()`, added in
schema/build.py) and by /graphql's fast path (schema/fastpath.py) alike, so no request reaches a
resolver without passing the same checks. Each limit answers a GraphQL error with `extensions.code`:
TOO_MANY_TOKENS, QUERY_TOO_DEEP, TOO_MANY_ALIASES, QUERY_TOO_COSTLY, INTROSPECTION_DISABLED. A limit
of 0 (or less) is off.

Cost: every field costs 1, plus what it selects, times its list weight. A list field's weight is its
page size: its own `first`/`last`/`limit`/`pageSize`/`perPage` argument, or the one of the nearest
paginated ancestor (`users(perPage: 100) { data { ... } }`: `data` weighs 100), else the length of
a literal list argument (`tracks(ids: [...])`), else `GRAPHQL_LIST_WEIGHT`. Weights multiply with
nesting. A page size given as a variable counts as the variable's default, else the argument's
default, else the list weight (the resolvers bound page sizes anyway). Lists of scalars weigh 1.
On an abstract type the fragments of different object types are alternatives: the dearest counts.
Introspection fields (`__schema`, `__type`) are left out of depth and cost; graphql-core's
MaxIntrospectionDepthRule bounds them instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
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
)
from graphql.validation.rules.max_introspection_depth_rule import MaxIntrospectionDepthRule
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

_INT_MAX = 2**31 - 1
_JSON_INT_MAX = 2**53 - 1
PAGE_SIZE_ARGUMENTS = ("first", "last", "limit", "pageSize", "perPage", "per_page")
INTROSPECTION_FIELDS = ("__schema", "__type")


def limit_error(message: str, code: str, nodes: Any = None, **extra: Any) -> GraphQLError:
    return GraphQLError(message, nodes=nodes, extensions={"code": code, **extra})


class QueryLimits:
    def __init__(self, *, max_depth: int = 10, max_aliases: int = 30, max_tokens: int = 2000,
                 max_cost: int = 5000, list_weight: int = 10, introspection: bool = True,
                 cache_size: int = 512) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.list_weight = max(1, list_weight)
        self.introspection = introspection
        self.rules: tuple[type[ASTValidationRule], ...] = self._rules()
        # What the fast path validates with: Strawberry's full set (graphql-core's + its own two) + ours.
        self.all_rules: tuple[type[ASTValidationRule], ...] = (
            *specified_rules, MaybeNullValidationRule, OneOfInputValidationRule, *self.rules)
        self.parse = lru_cache(maxsize=cache_size)(self._parse)

    @classmethod
    def from_settings(cls, settings: Any) -> QueryLimits:
        return cls(max_depth=settings.graphql_max_depth, max_aliases=settings.graphql_max_aliases,
                   max_tokens=settings.graphql_max_tokens, max_cost=settings.graphql_max_cost,
                   list_weight=settings.graphql_list_weight, introspection=bool(settings.graphql_introspection))

    # ------------------------------------------------------------------ parsing (token limit)

    def _parse(self, query: str) -> DocumentNode:
        """graphql-core's parse, aborted past `max_tokens` tokens (comments count too)."""
        if self.max_tokens <= 0:
            return parse(query)
        try:
            return parse(query, max_lexical_tokens=self.max_tokens, max_comments=self.max_tokens)
        except GraphQLError as exc:
            if "Parsing aborted" in exc.message:
                raise limit_error(f"The document has more than {self.max_tokens} tokens.", "TOO_MANY_TOKENS",
                                  maxTokens=self.max_tokens) from None
            raise

    # ------------------------------------------------------------------ validation rules

    def _rules(self) -> tuple[type[ASTValidationRule], ...]:
        limits = self

        class QueryLimitsRule(ValidationRule):
            def enter_document(self, node: DocumentNode, *_: Any) -> None:
                for error in limits.check(self.context.schema, node):
                    self.report_error(error)

        rules: list[type[ASTValidationRule]] = [QueryLimitsRule, MaxIntrospectionDepthRule]
        if not self.introspection:
            rules.append(NoIntrospectionRule)
        return tuple(rules)

    def check(self, schema: GraphQLSchema, document: DocumentNode) -> Iterator[GraphQLError]:
        if self.max_aliases > 0:
            aliases = sum(1 for _ in _aliases(document))
            if aliases > self.max_aliases:
                yield limit_error(f"The document has {aliases} aliases; the maximum is {self.max_aliases}.",
                                  "TOO_MANY_ALIASES", maxAliases=self.max_aliases)
        if self.max_depth <= 0 and self.max_cost <= 0:
            return
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        for op in document.definitions:
            if not isinstance(op, OperationDefinitionNode):
                continue
            root = schema.get_root_type(op.operation)
            if root is None:
                continue  # KnownOperationTypes reports it
            walk = _Walk(schema, fragments, op, self.list_weight)
            cost, depth = walk.selection_set(op.selection_set, root, None, frozenset())
            name = f"'{op.name.value}' " if op.name else ""
            if self.max_depth > 0 and depth > self.max_depth:
                yield limit_error(f"The operation {name}is {depth} levels deep; the maximum is {self.max_depth}.",
                                  "QUERY_TOO_DEEP", [op], depth=depth, maxDepth=self.max_depth)
            if self.max_cost > 0 and cost > self.max_cost:
                cost = min(cost, _JSON_INT_MAX)  # JSON encoders (and JavaScript) stop at 2**53
                yield limit_error(f"The operation {name}costs {cost}; the maximum is {self.max_cost}.",
                                  "QUERY_TOO_COSTLY", [op], cost=cost, maxCost=self.max_cost)

    def extensions(self) -> list[Any]:
        """Strawberry extensions (factories) that apply these limits in Strawberry's own pipeline."""
        rules = list(self.rules)
        return [lambda: LimitedParser(self), lambda: AddValidationRules(rules)]


class NoIntrospectionRule(ValidationRule):
    """`__schema` / `__type` refused (GRAPHQL_INTROSPECTION=false); `__typename` stays allowed."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(limit_error("GraphQL introspection is disabled on this server.",
                                          "INTROSPECTION_DISABLED", [node]))


class LimitedParser(SchemaExtension):
    """Strawberry's parse step through QueryLimits.parse (cached, token-limited); replaces ParserCache."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            ctx.graphql_document = self.limits.parse(ctx.query)
        yield


def _aliases(document: DocumentNode) -> Iterator[FieldNode]:
    stack: list[Any] = [d.selection_set for d in document.definitions if getattr(d, "selection_set", None)]
    while stack:
        selection_set = stack.pop()
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode) and sel.alias is not None:
                yield sel
            if getattr(sel, "selection_set", None) is not None:
                stack.append(sel.selection_set)


def _unwrap(type_: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(type_, (GraphQLList, GraphQLNonNull)):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


class _Walk:
    """Cost and depth of one operation, fragments expanded (memoised; cycles cut)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 op: OperationDefinitionNode, list_weight: int) -> None:
        self.schema = schema
        self.fragments = fragments
        self.list_weight = list_weight
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
            weight = size or carry or self._literal_list_length(node) or self.list_weight
            carry = None
        elif size is not None:
            carry = size  # a paginated object (users, searchTracks, ...): its list inside weighs `size`
        cost, depth = self.selection_set(node.selection_set, named, carry, seen)
        return weight * (1 + cost), depth + 1

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
                size = self.variable_defaults.get(value.name.value)
            if size is None and (value is None or isinstance(value, VariableNode)):
                default = field_def.args[name].default_value
                size = default if isinstance(default, int) else None
            return min(max(1, size), _INT_MAX) if isinstance(size, int) else self.list_weight  # GraphQL Int is 32-bit
        return None

    @staticmethod
    def _literal_list_length(node: FieldNode) -> int | None:
        for arg in node.arguments or ():
            if isinstance(arg.value, ListValueNode):
                return max(1, len(arg.value.values))
        return None
