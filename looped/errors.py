"""Errors that reach users as one line: what is wrong and how to fix it."""


class LoopedError(Exception):
    """A problem with the user's input, files or settings, as opposed to a bug in the library."""
