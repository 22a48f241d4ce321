"""The base of newsrag's exceptions and the errors of indexing and of the models. The CLI turns them into clean
messages and exit codes.

`ModelError` serves both models: the embedding model (`index.models`, `index.embeddings`) and the local LLM
(`rag.local_llm`, `rag.llms`), so it lives in the lower layer. A question's errors are the answering side's
(`rag.errors`).
"""


class NewsragError(Exception):
    """Base class: an error with a message meant for the user."""


class CorpusError(NewsragError):
    """An article file or record could not be read."""


class ModelError(NewsragError):
    """A model could not be provisioned, verified or loaded."""


class StoreError(NewsragError):
    """The store is missing, corrupted, or was built with another model or version."""
