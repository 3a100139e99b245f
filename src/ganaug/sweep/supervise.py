"""Run a command in a process group of its own, and kill that group when the caller dies.

    python -m ganaug.sweep.supervise PARENT_PID COMMAND...

A point runs ``dvc exp run``, which starts a process per stage. When Ray cancels the point
(Ctrl-C) or the point's node dies, the Ray worker is killed outright, and the stage processes
below it would go on training in a clone nobody reads, on a CPU the retry needs. Linux tells
this process when its parent dies (PR_SET_PDEATHSIG); it then kills the whole group.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> int:
    parent, command = int(argv[0]), argv[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    if hasattr(libc, "prctl"):  # Linux; elsewhere a cancelled point's stages run to their end
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            return 143
    child = None

    def kill_group(signum, frame):
        if child is not None:
            with contextlib.suppress(ProcessLookupError):  # it may have ended on its own
                os.killpg(child.pid, signal.SIGKILL)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, kill_group)  # before the child exists: no moment where a signal orphans it
    signal.signal(signal.SIGINT, kill_group)
    child = subprocess.Popen(command, start_new_session=True)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
