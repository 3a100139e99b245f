"""One module per pipeline stage, each with a pure-ish ``run(...)`` called by ``ganaug.cli.main``."""
