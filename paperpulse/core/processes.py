"""Which process owns a run, and whether it still lives: "host:pid:start".

The start (the process's start time in clock ticks since boot, from ``/proc``) tells a
live process from a later one that reused a dead one's pid, and a process killed but not
yet reaped by its parent (a zombie) counts as gone: either way its runs are no longer in
flight. Another host's process cannot be seen: only the run's age tells there.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path


def _start_of(pid: int) -> tuple[str, str] | None:
    """(state, start time) of ``pid`` from ``/proc/<pid>/stat``; None where unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


@cache
def this_process() -> str:
    pid = os.getpid()
    found = _start_of(pid)
    return f"{socket.gethostname()}:{pid}" + (f":{found[1]}" if found else "")


def alive(owner: str | None) -> bool:
    """Whether the process named by ``owner`` (``this_process()`` of some process) exists."""
    host, _, rest = (owner or "").partition(":")
    pid, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: only its run's age can tell
    found = _start_of(int(pid))
    if found is not None:
        state, started = found
        return state not in ("Z", "X") and (not start or started == start)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
