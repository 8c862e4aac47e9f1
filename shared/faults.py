"""Crash points: named places where a fault-injection run may have a process die on the spot.

The reliability suite kills services with SIGKILL at random moments, but some moments matter
more than others and are too short to hit by chance: between a consumer's database commit and
its offset commit, between the relay's send and its bookkeeping, between an import's batches,
between a payment file's commit and the stored answer of its request. Each of those places calls
:func:`crash_point` with its name.

``AMPARO_CRASH_AT`` (read once, at start) names the points and on which pass the process dies::

    AMPARO_CRASH_AT="consumer.before_offset_commit:3,relay.before_marking_published:1"

kills the process with SIGKILL — no clean-up, no ``finally`` blocks, exactly like a power cut
or the kernel's OOM killer — the third time a consumer has committed to its database and not
yet to Kafka, or the first time the relay has sent events it has not yet marked published,
whichever comes first. Unset (always, outside fault-injection runs) each call is one dictionary
lookup that finds nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

log = logging.getLogger(__name__)

VARIABLE = "AMPARO_CRASH_AT"

#: Every crash point in the code, with where it is.
POINTS = {
    "consumer.before_offset_commit": "a consumer committed a poll to its database, not yet its offsets",
    "relay.before_marking_published": "the relay's events are on the broker, not yet marked published",
    "import.after_batch": "an import committed one batch of households, not yet the next",
    "request.before_answer_stored": "a money-moving request committed, its answer not yet stored",
}


def parse(value: str) -> dict[str, int]:
    """``"name:pass,name:pass"`` → ``{name: pass}``.

    :raise ValueError: naming an unknown point or a pass that is not a positive whole number.

    >>> parse("import.after_batch:2")
    {'import.after_batch': 2}
    """
    plan: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, count = item.partition(":")
        if name not in POINTS:
            raise ValueError(f"{VARIABLE}: unknown crash point {name!r}; known: {', '.join(POINTS)}")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"{VARIABLE}: {item!r} needs a pass number of 1 or more after the colon")
        plan[name] = int(count)
    return plan


_plan = parse(os.environ.get(VARIABLE, ""))
_passes: dict[str, int] = {}
_lock = threading.Lock()


def crash_point(name: str) -> None:
    """Die here with SIGKILL if this run asked for it (see the module's description)."""
    if name not in _plan:
        return
    with _lock:
        _passes[name] = _passes.get(name, 0) + 1
        due = _passes[name] == _plan[name]
    if due:
        log.warning("crash point %s reached (pass %d): killing this process", name, _plan[name])
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
