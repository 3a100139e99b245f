"""params.yaml, typed and strict: one frozen dataclass per section, loaded by ``project.load_params``.

Imports nothing heavy but what a section's allowed names need; every layer may import it.
"""
