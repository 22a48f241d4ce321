"""The catalog's BM25: common query words are left out of the match, so big indexes stay fast."""

from __future__ import annotations

from pathlib import Path

from index.catalog import Catalog, query_words


def _catalog(tmp_path: Path) -> Catalog:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    rows = [(f"c{i}", f"a{i}", f"Het kabinet wil dit jaar niet veel doen, zegt bron {i}.", {}) for i in range(30)]
    rows.append(("lavrov", "moscow", "Lavrov bemiddelde niet eerder in Moskou dit jaar.", {}))
    rows.append(("cheese", "alkmaar", "De kaasmarkt in Alkmaar trok dit jaar toeristen.", {}))
    catalog.upsert_chunks(rows)
    return catalog


def test_query_words_drop_stopwords_unless_nothing_else_is_left():
    assert query_words("Wie bemiddelde in Moskou?") == ["bemiddelde", "moskou"]
    assert query_words("Wie en wat?") == ["wie", "en", "wat"]


def test_a_word_in_most_chunks_is_left_out_of_the_match(tmp_path: Path):
    catalog = _catalog(tmp_path)
    # "niet" and "jaar" are in 31 and 32 of 32 chunks: matching them would score every chunk
    assert [cid for cid, *_ in catalog.bm25("niet bemiddelde jaar", 10)] == ["lavrov"]


def test_when_every_word_is_common_the_rarest_are_matched(tmp_path: Path):
    catalog = _catalog(tmp_path)
    found = [cid for cid, *_ in catalog.bm25("kabinet niet jaar", 40)]
    assert len(found) == 31 and "cheese" not in found  # "kabinet" (30) and "niet" (31), not "jaar" (32)
    assert len(catalog.bm25("jaar", 40)) == 32  # a single word is always matched
