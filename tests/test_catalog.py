"""The catalog's BM25 (a Tantivy index beside it): common query words are left out of the match, so big
indexes stay fast; diacritics are folded; the index follows every write and is rebuilt when it missed one."""

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


def test_diacritics_are_folded_on_both_sides(tmp_path: Path):
    catalog = _catalog(tmp_path)
    catalog.upsert_chunks([("een", "x", "Eén coöperatie in Zürich.", {})])
    assert [cid for cid, *_ in catalog.bm25("cooperatie zurich", 5)] == ["een"]
    assert [cid for cid, *_ in catalog.bm25("coöperatie", 5)] == ["een"]


def test_upserts_and_deletes_reach_the_index(tmp_path: Path):
    catalog = _catalog(tmp_path)
    catalog.upsert_chunks([("cheese", "alkmaar", "De bloemenveiling in Aalsmeer.", {"title": "Veiling"})])
    assert catalog.bm25("kaasmarkt", 5) == []
    (hit,) = catalog.bm25("bloemenveiling", 5)
    assert hit[0] == "cheese" and hit[2] == "De bloemenveiling in Aalsmeer." and hit[3] == {"title": "Veiling"}
    catalog.delete_chunks(["cheese"])
    assert catalog.bm25("bloemenveiling", 5) == []
    assert catalog.keyword.count() == catalog.count_chunks() == 31


def test_an_index_that_missed_a_write_is_rebuilt_on_open(tmp_path: Path):
    catalog = _catalog(tmp_path)
    # a crash between the catalog's commit and the index's: the chunk is in SQLite only
    catalog.keyword.upsert = lambda rows, generation=None: None  # type: ignore[method-assign]
    catalog.upsert_chunks([("late", "x", "Een verlate zeppelin.", {})])
    catalog.close()
    reopened = Catalog(tmp_path / "catalog.sqlite")
    assert [cid for cid, *_ in reopened.bm25("zeppelin", 5)] == ["late"]
    assert reopened.keyword.count() == 33
