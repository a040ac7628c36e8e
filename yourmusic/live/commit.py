"""Run something after the current database transaction commits; at once outside a transaction.

Services open transactions with Tortoise's `in_transaction()`; inside one, the task's connection is a
`TransactionalDBClient`. `after_commit(callback)` queues the callback on that client and wraps its
`commit` once: the callbacks run after the outermost transaction's COMMIT succeeded, in the order queued;
a rolled-back transaction (an exception leaving `in_transaction`) never commits, so they are dropped with
it. A nested block (a savepoint) belongs to the outermost transaction: its callbacks wait for that one
(and still run if only the savepoint was rolled back; events carry ids only, so a receiver then reloads an
unchanged entity).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.connection import get_connections
from tortoise.exceptions import ConfigurationError

log = logging.getLogger("yourmusic.live")

Callback = Callable[[], Awaitable[None]]
_QUEUE = "_yourmusic_after_commit"


def _transaction() -> TransactionalDBClient | None:
    """The transaction the current task is in (the default connection's), or None."""
    try:
        handler = get_connections()
        names = list(handler.db_config)
        if len(names) != 1:
            return None
        client: Any = handler.get(names[0])
    except (ConfigurationError, LookupError, RuntimeError):  # Tortoise not initialised (unit tests, some CLI runs)
        return None
    return client if isinstance(client, TransactionalDBClient) else None


def _hook(client: Any) -> list[Callback]:
    queue: list[Callback] | None = client.__dict__.get(_QUEUE)
    if queue is None:
        queue = []
        setattr(client, _QUEUE, queue)
        commit = client.commit

        async def commit_then_run() -> None:
            await commit()
            pending, queue[:] = list(queue), []
            # The callbacks (and tasks they start) must not use the finished transaction's connection: the
            # task's connection is still the transaction's until in_transaction() exits.
            handler = get_connections()
            token = handler.set(client.connection_name, client._parent)
            try:
                for callback in pending:
                    try:
                        await callback()
                    except Exception:  # noqa: BLE001 - the write is committed: report, never undo it
                        log.exception("after-commit callback failed")
            finally:
                handler.reset(token)

        client.commit = commit_then_run
    return queue


async def after_commit(callback: Callback) -> None:
    """Run `callback` once the current transaction commits (dropped if it rolls back); outside a
    transaction, now."""
    client = _transaction()
    if client is None:
        await callback()
    else:
        _hook(client).append(callback)
