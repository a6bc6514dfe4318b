"""Errors raised for bad user input (files, columns); the CLI prints them without a traceback."""


class InputError(Exception):
    """A complete sentence naming the file or column at fault and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
