"""fetch: obtain the dataset of ``dataset.name``, described and verified.

    ganaug fetch --data data/prepared/dataset.npz --description reports/dataset.json

Apart from prepare, so that a changed copy of the data is caught here, where the data output DVC
keeps (persist), before DVC deletes the subsets or anything else that depends on it. The reader
(``data/registry.py``) brings the images to ``dataset.size``; they are written with their description
(classes, channels, size, counts, sha256 of every array) inside the ``.npz``, and the description
as JSON for people and the report.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from ganaug.pipeline import stage_files
from ganaug.data.description import Description, describe, load_description, save_prepared
from ganaug.pipeline.io import ArtifactError, save_json
from ganaug.params.project import Params
from ganaug.data.registry import reader

log = logging.getLogger(__name__)


def run(params: Params, files: stage_files.Fetch) -> Description:
    name = params.dataset.name
    arrays, classes = reader(name)(params, files.data)
    description = check(describe(name, arrays, classes))
    try:
        unchanged = load_description(files.data) == description
    except ArtifactError:
        unchanged = False
    if unchanged:  # the same bytes: keep the file, so nothing downstream sees a change
        log.info("%s already holds %s as described", files.data, name)
    else:
        save_prepared(files.data, arrays, description)
        log.info("wrote %s (%s: %d training images of %d classes)", files.data, name, description.n_train,
                 description.n_classes)
    save_json(files.description, asdict(description))
    return description


def check(description: Description) -> Description:
    """Refuse data no model here can learn from: one class, or a class with no training image."""
    if description.n_classes < 2:
        raise ArtifactError(f"dataset {description.name}: {description.n_classes} class; at least 2 are needed")
    empty = [c for c, n in zip(description.classes, description.train_counts) if n == 0]
    if empty:
        raise ArtifactError(f"dataset {description.name}: no training image of class(es) {empty}")
    return description
