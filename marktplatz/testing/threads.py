"""Running the same work in many threads at once, each with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

from marktplatz.core.tenancy import scopes_disabled


def run_in_threads(work: Callable[[int], None], threads: int = 8) -> None:
    """Start ``work(index)`` in ``threads`` threads together; re-raise what any raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def runner(index: int) -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    started = [threading.Thread(target=runner, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=120)
    assert not errors, errors
