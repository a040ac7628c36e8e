"""Thin async functions: (context, arguments) -> service -> domain objects.

GraphQL fields and REST routes both call these, so authentication and tenant choice happen once.
"""
