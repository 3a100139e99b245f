"""Progress bars that also work in a log file.

On a terminal, a tqdm bar as usual. Under ``dvc repro > log`` (stderr not a terminal) tqdm would
either print nothing (``disable=None``) or one endless line of carriage returns, so a long stage
looked dead for minutes; there, each redraw becomes one log line, at most every ``LOG_SECONDS``.
"""
from __future__ import annotations

import logging
import sys

from tqdm import tqdm

log = logging.getLogger("ganaug.pipeline.progress")

LOG_SECONDS = 30.0


class _LogLines:
    """A file for tqdm that logs each redraw as a line of its own."""

    def write(self, text: str) -> None:
        text = text.strip("\r\n ")
        if text:
            log.info(text)

    def flush(self) -> None:
        pass


class _LoggedBar(tqdm):
    """In a log, a new postfix (losses, say) waits for the next line instead of writing one now."""

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        super().set_postfix(ordered_dict, refresh=False, **kwargs)


def progress(iterable=None, **kwargs) -> tqdm:
    """``tqdm(iterable, **kwargs)`` on a terminal; in a log, a line per ``LOG_SECONDS`` and one at the end."""
    if sys.stderr.isatty():
        return tqdm(iterable, disable=None, **kwargs)
    kwargs.update(file=_LogLines(), mininterval=LOG_SECONDS, maxinterval=LOG_SECONDS, ncols=100, ascii=True, leave=True)
    return _LoggedBar(iterable, disable=False, **kwargs)
