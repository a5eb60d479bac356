"""Errors that carry a message for the user: what went wrong and what to do."""


class UserInputError(ValueError):
    """Bad input from the user. The message is shown on screen as it is, so it
    must say what to do ("Pick a target column with at least two classes")."""


class ModelBusyError(RuntimeError):
    """A shared model stayed busy with other requests for too long."""
