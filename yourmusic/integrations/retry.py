"""The one retry policy: tenacity, exponential backoff with full jitter, a bounded number of attempts.

Every retry in the app draws its waits here: the upstream HTTP clients (aggregator, streaming), the
SMTP sender, and the play forwarder (whose retries are scheduled in the database, not slept, so it asks
`delay()` for the same formula). The wait after the n-th failed attempt is uniform in
`[0, min(wait_max, wait_initial * 2**(n-1))]`, tenacity's `wait_random_exponential`, the "full jitter"
of the AWS architecture blog: failed callers spread out instead of retrying in lockstep.

tenacity rather than stamina: stamina's jitter is additive (a growing floor plus up to `wait_jitter`),
it has no public way to compute one wait for a retry kept in a database, and it installs its own
Prometheus counter and log hooks globally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tenacity


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`attempts` tries in all (the first included; 1: no retry; None: no limit, for the play forwarder,
    whose reports wait in the database until accepted), waits in seconds as the module says.

    Raises ValueError for fewer than one attempt or a negative wait.
    """

    attempts: int | None = 3
    wait_initial: float = 0.05
    wait_max: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts is not None and self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.wait_initial < 0 or self.wait_max < 0:
            raise ValueError("RetryPolicy waits must not be negative")

    def wait(self) -> tenacity.wait.wait_base:
        """The tenacity wait strategy (full jitter, exponential, capped)."""
        return tenacity.wait_random_exponential(multiplier=self.wait_initial, max=self.wait_max)

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failed attempts (1 for the first), for retries that are
        scheduled rather than slept; the same draw as `retrying` makes."""
        state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = max(1, failures)
        return self.wait()(state)

    def retrying(
        self,
        retry_if: Callable[[BaseException], bool],
        *,
        attempts: int | None = None,
        before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
    ) -> tenacity.AsyncRetrying:
        """An `AsyncRetrying` that retries errors for which `retry_if` is true, up to `attempts` tries
        (default: the policy's; never more than one when neither says), and re-raises the last error as it was. Anything else (cancellation
        included) propagates at once. `before_sleep` sees each retry before its wait (for logs)."""
        return tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(max(1, attempts or self.attempts or 1)),
            wait=self.wait(),
            # Only Exceptions: tenacity would otherwise retry a cancelled attempt and swallow the cancellation.
            retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, Exception) and retry_if(exc)),
            before_sleep=before_sleep,
            reraise=True,
        )
