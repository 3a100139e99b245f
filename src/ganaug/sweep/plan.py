"""Which stages two points share, read from dvc.yaml itself: a point waits for the one it can reuse.

A stage is shared by two points when no params key on which they differ is read by the stage or
by any stage upstream of it (dvc.yaml's ``params:``; a key a stage reads only through ``${}``, as
``foreach: ${prepare.levels}``, is not seen). Two points that differ only in ``ratio`` share
prepare, judge, train_generator and generate (and fetch, which reruns anyway: below). If both ran at once, both would train the
same GANs; run one after the other, the second starts from the first's outputs. So a point waits
for the earlier point with which it shares the most stages, when that is most of its stages.

Left out: validate (its output is the same bytes for every valid file, though it reads the
whole file) and every stage with a persist output (DVC never run-caches it: fetch).
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from ganaug.sweep.spec import Point

PIPELINE_FILES = ("dvc.yaml", "paths.yaml", "compare/dvc.yaml")  # DVC parses every dvc.yaml; a point runs the first


def stage_reads(project: Path, params_file: Path) -> dict[str, frozenset[str]]:
    """Restorable stage name -> the params keys it and its upstream stages read ('' = the whole file)."""
    import networkx as nx
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    with tempfile.TemporaryDirectory() as folder:  # the pipeline with the sweep's base params, resolved by DVC
        work = Path(folder)
        for name in PIPELINE_FILES:
            if (project / name).exists():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(project / name, work / name)
        shutil.copy(params_file, work / "params.yaml")
        logging.getLogger("dvc.repo.init").disabled = True  # its "Initialized DVC repository." is not the user's
        Repo.init(str(work), no_scm=True).close()
        with Repo(str(work)) as repo:
            graph = repo.index.graph  # an edge runs from a stage to a stage it depends on
            own = {stage: _keys(stage, ParamsDependency) for stage in graph}
            whole = {stage for stage, keys in own.items() if "" in keys}  # validate
            closure = {}
            for stage in graph:
                pipeline = Path(stage.path).name == "dvc.yaml" and Path(stage.path).parent == work
                if not pipeline or stage in whole or any(out.persist for out in stage.outs) or not stage.outs:
                    continue
                upstream = (nx.descendants(graph, stage) | {stage}) - whole
                closure[stage.name] = frozenset().union(*(own[s] for s in upstream))
    return closure


def _keys(stage, params_dependency) -> frozenset[str]:
    keys = set()
    for dep in stage.deps:
        if isinstance(dep, params_dependency):
            keys |= set(dep.params) if dep.params else {""}
    return frozenset(keys)


def _values(point: Point) -> dict[str, str]:
    return dict(override.split("=", 1) for override in point.overrides)


def touches(keys: frozenset[str], changed: str) -> bool:
    """Whether a stage reading params ``keys`` ('' = the whole file) reads the dotted key ``changed``."""
    return any(key == "" or changed == key or changed.startswith(key + ".") or key.startswith(changed + ".")
               for key in keys)


def shared_stages(reads: dict[str, frozenset[str]], first: Point, second: Point) -> list[str]:
    a, b = _values(first), _values(second)
    differ = {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}
    return [stage for stage, keys in reads.items() if not any(touches(keys, key) for key in differ)]


def parents(points: list[Point], reads: dict[str, frozenset[str]]) -> dict[str, str | None]:
    """Point name -> the earlier point it waits for (most stages shared; the first on a tie), or None.

    Only when the two share most stages: two points that share the real-image stages alone (prepare,
    judge, reference: another GAN) run side by side, each computing them, rather than one after the
    other; waiting would cost the whole of the other point's run to save a small part of one's own.
    """
    waits: dict[str, str | None] = {}
    for i, point in enumerate(points):
        counts = [len(shared_stages(reads, earlier, point)) for earlier in points[:i]]
        best = max(range(i), key=counts.__getitem__, default=None)  # max keeps the first on a tie
        waits[point.name] = points[best].name if best is not None and 2 * counts[best] > len(reads) else None
    return waits
