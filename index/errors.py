"""The project's exception hierarchy. The CLI turns these into clean messages and exit codes."""


class NewsragError(Exception):
    """Base class: an error with a message meant for the user."""


class CorpusError(NewsragError):
    """An article file or record could not be read."""


class ModelError(NewsragError):
    """A model could not be provisioned, verified or loaded."""


class StoreError(NewsragError):
    """The store is missing, corrupted, or was built with another model or version."""


class InputError(NewsragError):
    """A request is invalid: empty or oversized question, bad filter."""


class QuestionTooLong(InputError):
    """The question is longer than the assistant's limit (the API answers 413)."""
