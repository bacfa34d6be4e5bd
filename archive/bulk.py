"""A pass over a whole log (verify, import, build) with Python's cyclic garbage collector
paused.

Such a pass makes millions of small containers (an event's references, the catalogue's
records of what exists) and keeps many of them; the collector walks every one it keeps
again and again, which cost a pass 10-20% at 100,000 events and found nothing to free:
the passes make no reference cycles (`tests/test_batches.py` counts what a collection
finds after each). Memory is still freed as it always is, when the last reference goes.

    with collector_paused():
        for batch in ...: ...
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (a pass inside a pass leaves it to the
    outer one), and let it run again after, however the block ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
