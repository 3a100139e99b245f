"""Sweeps past one machine: a grid of params overrides, each point a DVC experiment, run on Ray.

``spec`` reads and expands a sweep file and refuses a bad one before any work; ``plan`` finds the
stages two points share (so a point waits for the one whose stages it can restore); ``point``
runs one point in its own clone on whichever node Ray gives it (``supervise`` keeps its
processes from outliving it); ``engine`` drives the sweep from the head; ``report`` tables every
point; ``repo`` is the head's side of the shared remotes. ``cli.sweep`` and benchmarks/sweep.py
import this package; Ray is imported inside ``engine``'s functions alone, so the rest works without
the ``ray`` extra.
"""
