"""What the server's routes and the chat UI share: the one `Assistant`, the answer gate (a bounded line for
the model, `ui.gate`), the article lookup, feedback.

The Assistant is built once, by the server's startup (or at first use when none ran), never at import.
Tests inject a ready-made one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from index.records import Article
from rag.answer import Assistant
from ui.feedback import FeedbackLog
from ui.gate import AnswerGate


@dataclass
class Runtime:
    build: Callable[[], Assistant]
    feedback: FeedbackLog
    gate: AnswerGate  # its bound is the max_pending setting
    _bot: Assistant | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def with_assistant(cls, bot: Assistant, feedback: FeedbackLog, gate: AnswerGate) -> Runtime:
        return cls(build=lambda: bot, feedback=feedback, gate=gate, _bot=bot)

    def assistant(self) -> Assistant:
        """The Assistant, built on first call (blocking: loads models; call it off the event loop)."""
        with self._lock:
            if self._bot is None:
                self._bot = self.build()
            return self._bot

    def article(self, article_id: str) -> Article | None:
        return self.assistant().store.catalog.get_article(article_id)

    def count_articles(self) -> int:
        return self.assistant().store.catalog.count_articles()
