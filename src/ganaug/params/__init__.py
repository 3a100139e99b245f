"""params.yaml, typed and strict: one frozen dataclass per section, loaded by ``project.load_params``.

Every layer may import it. It checks names against the registries they come from, so ``gan.py``
imports the GAN losses and DiffAugment's ops (and with them torch) and ``dataset.py`` the readers'
registry; ``check.py`` imports neither, so ``ganaug check`` starts without torch.
"""
