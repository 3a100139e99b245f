"""The generators of fakes: the GAN zoo (models built from params, losses, DiffAugment, the D and G steps,
the training loop, snapshots, health, resumable state). Imports ``models``, ``metrics``, ``training``
(the judge's features), ``data``, ``params`` and ``pipeline``.
"""
