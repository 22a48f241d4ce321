"""The refusal and support thresholds, shown against the distributions they were read from.

multilingual-e5-small scores everything between about 0.68 and 0.90, so thresholds borrowed from other
models are meaningless here. These tests print the scores (run with -s to see them) and fail if a
model or prompt change moves a case to the wrong side.
"""

from __future__ import annotations

import pytest

from index.chunking import hf_token_starts
from index.ingest import ingest, record_manager
from index.loaders import load_articles
from index.store import open_store
from rag import refusal
from rag.citations import _keys, combined_score
from rag.language import detect_language
from rag.scoring import embedding_scorer

from .conftest import CORPUS, setting_default

pytestmark = pytest.mark.slow

ANSWERABLE = [
    "who mediated in Moscow?",
    "Wie bemiddelde in Moskou?",
    "How long did the talks in Moscow last?",
    "How many Azerbaijani civilians were killed?",
    "Since when has the Minsk group tried to solve the conflict?",
    "Who invited both countries to Moscow?",
    "Hoeveel burgers zijn er gedood in Azerbeidzjan?",
]
UNANSWERABLE = [
    "Who won the Eurovision Song Contest in 2019?",
    "Wie won het Eurovisiesongfestival in 2019?",
    "What is the recipe for apple pie?",
    "Who is the CEO of Apple?",
    "Who won the 2018 World Cup?",
    "What is the capital of France?",
    "Hoe gaat het met Ajax?",
]


@pytest.fixture(scope="module")
def store(real_embeddings, tmp_path_factory):
    home = tmp_path_factory.mktemp("calibration")
    s = open_store(
        home, embeddings=real_embeddings, model_name=real_embeddings.name, dimension=real_embeddings.dimension
    )
    ingest(
        load_articles([CORPUS]),
        s,
        record_manager(home, s),
        token_starts=hf_token_starts(real_embeddings.tokenizer),
        progress=False,
    )
    return s


def test_relevance_threshold_separates_the_seed_questions(store):
    verdicts = {}
    for q in ANSWERABLE + UNANSWERABLE:
        dense = store.dense(q, 5)
        verdicts[q] = refusal.relevant(dense, detect_language(q), setting_default("min_relevance"), q)
        print(f"{max(h.score for h in dense):.3f} {'pass' if verdicts[q] else 'refuse'}  {q}")
    assert all(verdicts[q] for q in ANSWERABLE)
    assert not any(verdicts[q] for q in UNANSWERABLE)


SUPPORTED = [
    ("Sergei Lavrov mediated the talks in Moscow.", 0),
    ("The talks lasted 10 hours.", 1),
    ("Putin invited both countries.", 2),
    ("31 Azerbaijani civilians were killed.", 3),
    ("Lavrov bemiddelde tussen de ministers van Azerbeidzjan en Armenië.", 0),
]
UNSUPPORTED = [
    "Duncan Laurence won the Eurovision Song Contest in 2019.",
    "Paris is the capital of France.",
    "Macron mediated the talks in Paris.",
    "Apple pie needs cinnamon and butter.",
]
SENTENCES = [
    "De Russische minister van Buitenlandse Zaken Sergei Lavrov (midden) bemiddelde bij de besprekingen in "
    "Moskou tussen de buitenlandministers van Azerbeidzjan en Armenië.",
    "Lavrov maakte dat vannacht om 3.00 uur bekend in Moskou, nadat delegaties van beide landen 10 uur lang "
    "besprekingen hadden gevoerd in de Russische hoofdstad.",
    "De Russische president Vladimir Poetin had beide landen uitgenodigd voor vredesbesprekingen in Moskou.",
    "Azerbeidzjan zei vrijdag dat sinds 27 september 31 Azerbeidzjaanse burgers zijn gedood en 168 gewond zijn geraakt.",
]


def test_support_threshold_separates_stated_from_unrelated_claims(real_embeddings):
    similarity = embedding_scorer(real_embeddings)

    def score(claim: str, sentences: list[str]) -> list[float]:
        # the score verification uses: similarity plus the name/number signal
        return [
            combined_score(s, _keys(claim), c) for s, c in zip(similarity(claim, sentences), sentences, strict=True)
        ]

    for claim, index in SUPPORTED:
        scores = score(claim, SENTENCES)
        print(f"{max(scores):.3f} supported    {claim}")
        assert max(scores) == scores[index]
        assert scores[index] >= setting_default("min_support")
    for claim in UNSUPPORTED:
        best = max(score(claim, SENTENCES))
        print(f"{best:.3f} unsupported  {claim}")
        assert best < setting_default("min_support")
