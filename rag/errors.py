"""The answering side's errors: a request the assistant cannot take (an empty or over-long question, a bad
date filter, a malformed prompt file). They derive from `index.errors.NewsragError`, so the commands and the
server catch every newsrag error as one; the model errors (`ModelError`) stay in `index.errors`, since the
embedding model raises them as well as the LLM.
"""

from index.errors import NewsragError


class InputError(NewsragError):
    """A request is invalid: empty or oversized question, bad filter."""


class QuestionTooLong(InputError):
    """The question is longer than the assistant's limit (the API answers 413)."""
