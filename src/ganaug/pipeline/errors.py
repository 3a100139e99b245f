"""The project's own errors: what a user can fix. Each is a :class:`UserError`, which every command
shows as one line (``cli.support.user_errors``); any other exception is a bug and keeps its traceback.

Imports nothing, so the CLI can catch them without importing torch.
"""


class UserError(Exception):
    """A bad params value, a missing or damaged file, data that fails its check, a GAN that diverged."""


class ParamsError(UserError, ValueError):
    """A parameter is missing its allowed form; the message names the key."""
