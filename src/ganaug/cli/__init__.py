"""``ganaug``'s command line: one command per stage (``main``), what they share (``support``), ``check`` and ``show``.
"""
