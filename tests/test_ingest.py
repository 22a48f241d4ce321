"""Ingestion into real Chroma + catalog (fake embedder): idempotence, updates, prune, strictness, safety."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index.errors import CorpusError, StoreError
from index.records import Article, LoadError, Refused
from index.search import rrf, search


def _articles(n: int = 5) -> list[Article]:
    return [
        Article(
            id=f"art-{i}",
            title=f"Artikel {i}",
            date="2020-10-1" + str(i % 10),
            lang="nl",
            path="feed.jsonl",
            text=" ".join(
                f"Zin {j} van artikel {i} gaat over onderwerp{i} en nog wat woorden erbij." for j in range(12)
            ),
        )
        for i in range(n)
    ]


def _consistent(store) -> set[str]:
    """Chroma and the BM25 catalog hold exactly the same chunk ids; returns them."""
    chroma_ids = set(store.chroma.get()["ids"])
    catalog_ids = set(store.catalog.chunk_ids())
    assert chroma_ids == catalog_ids
    assert store.count() == store.catalog.count_chunks() == len(chroma_ids)
    return chroma_ids


def test_second_ingest_embeds_nothing(fake_ingest, fake_embeddings):
    first, store = fake_ingest(_articles())
    assert first.articles_added == 5 and first.chunks_embedded > 5
    ids = _consistent(store)
    calls = fake_embeddings.calls
    second, store = fake_ingest(_articles())
    assert second.chunks_embedded == 0 and second.articles_unchanged == 5
    assert fake_embeddings.calls == calls  # not a single passage re-embedded
    assert _consistent(store) == ids


def test_changed_article_replaces_its_chunks(fake_ingest):
    arts = _articles()
    _, store = fake_ingest(arts)
    before = set(store.catalog.chunk_ids("art-2"))
    changed = [*arts[:2], replace(arts[2], text="Geheel nieuwe tekst over vredesbesprekingen in Moskou."), *arts[3:]]
    report, store = fake_ingest(changed)
    assert report.articles_updated == 1 and report.articles_unchanged == 4
    after = set(store.catalog.chunk_ids("art-2"))
    assert len(after) == 1 and not (after & before)
    _consistent(store)
    assert search(store, "vredesbesprekingen Moskou", k=1, mode="bm25")[0].article_id == "art-2"


def test_metadata_change_counts_as_an_update(fake_ingest):
    arts = _articles(2)
    fake_ingest(arts)
    report, store = fake_ingest([replace(arts[0], title="Nieuwe titel"), arts[1]])
    assert report.articles_updated == 1
    assert store.catalog.get_article("art-0").title == "Nieuwe titel"


def test_prune_removes_articles_no_longer_in_the_source(fake_ingest):
    arts = _articles()
    fake_ingest(arts)
    report, store = fake_ingest(arts[:3], prune=True)
    assert report.articles_removed == 2
    assert store.catalog.count_articles() == 3
    assert {h.article_id for h in search(store, "artikel", k=50, mode="bm25")} == {"art-0", "art-1", "art-2"}
    _consistent(store)


def test_without_prune_nothing_is_removed(fake_ingest):
    arts = _articles()
    fake_ingest(arts)
    report, store = fake_ingest(arts[:1])
    assert report.articles_removed == 0 and store.catalog.count_articles() == 5


def test_prune_keeps_articles_of_a_file_that_failed_to_load(fake_ingest):
    arts = _articles(3)
    fake_ingest(arts)
    report, store = fake_ingest([LoadError("feed.jsonl", None, "not UTF-8")], prune=True)
    assert report.articles_removed == 0 and store.catalog.count_articles() == 3


def test_prune_removes_articles_of_a_refused_link(fake_ingest):
    arts = _articles(3)
    fake_ingest([*arts[:2], replace(arts[2], path="corpus/escape.txt")])
    refused = Refused("corpus/escape.txt", None, "skipped: a symbolic link to a file outside the corpus folder")
    report, store = fake_ingest([*arts[:2], refused], prune=True)
    assert report.errors == [refused] and report.articles_removed == 1
    assert store.catalog.get_article("art-2") is None and store.catalog.count_articles() == 2


def test_errors_are_reported_and_the_rest_ingested(fake_ingest):
    bad = LoadError("x.bin", None, "binary file")
    report, _ = fake_ingest([bad, *_articles(2)])
    assert report.errors == [bad] and report.articles_added == 2
    assert report.as_dict()["errors"] == [{"path": "x.bin", "line": None, "error": "binary file"}]


def test_hostile_files_are_reported_one_by_one_and_the_rest_ingested(fake_ingest, tmp_path):
    from index.loaders import load_articles

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    bomb = [
        'a: &a ["lol", "lol", "lol"]',
        *(f"{c}: &{c} [*{p}, *{p}, *{p}]" for p, c in zip("abcd", "bcde", strict=True)),
    ]
    hostile = {
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "digits.jsonl": '{"text": "x", "id": ' + "9" * 5_000 + "}\n",
        "deep.md": "---\ntitle: " + "[" * 10_000 + "]" * 10_000 + "\n---\nText.",
        "bomb.md": "---\n" + "\n".join([*bomb, "title: *e"]) + "\n---\nText.",
    }
    for name, content in hostile.items():
        (corpus / name).write_text(content, encoding="utf-8")
    (corpus / "good.txt").write_text(_articles(1)[0].text, encoding="utf-8")
    report, store = fake_ingest(load_articles([corpus]))
    assert report.articles_added == 1 and store.catalog.get_article("good") is not None
    assert sorted(e.path for e in report.errors) == sorted(str(corpus / name) for name in hostile)


def test_strict_makes_any_error_fatal_and_stores_nothing(fake_ingest, open_fake_store):
    with pytest.raises(CorpusError, match=r"x\.bin: binary file"):
        fake_ingest([LoadError("x.bin", None, "binary file"), *_articles(2)], strict=True)
    assert open_fake_store().catalog.count_articles() == 0


def test_opening_with_another_model_is_an_error(fake_ingest, tmp_path, fake_embeddings):
    from index.store import open_store

    fake_ingest(_articles(1))
    with pytest.raises(StoreError, match="was built with embedding model 'fake-embeddings'"):
        open_store(tmp_path / "home", embeddings=fake_embeddings, model_name="other-model", dimension=64)


def test_rebuild_starts_over(fake_ingest, open_fake_store):
    fake_ingest(_articles(3))
    store = open_fake_store(rebuild=True)
    assert store.count() == 0 and store.catalog.count_articles() == 0
    report, store = fake_ingest(_articles(3))
    assert report.articles_added == 3
    _consistent(store)


def test_a_lost_collection_resets_the_catalog_so_nothing_is_skipped(fake_ingest, open_fake_store):
    _, store = fake_ingest(_articles(2))
    store.chroma._client.delete_collection("newsrag")  # e.g. a fresh Chroma server
    report, store = fake_ingest(_articles(2))
    assert report.articles_added == 2 and report.chunks_embedded > 0
    _consistent(store)


def test_corrupted_catalog_is_a_clear_error(fake_ingest, open_fake_store, tmp_path):
    fake_ingest(_articles(1))
    (tmp_path / "home" / "catalog.sqlite").write_bytes(b"this is not sqlite" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / "home" / f"catalog.sqlite{suffix}").unlink(missing_ok=True)
    with pytest.raises(StoreError, match="newsrag ingest --rebuild"):
        open_fake_store()


def test_hybrid_fuses_both_rankings(fake_ingest):
    _, store = fake_ingest(_articles())
    hits = search(store, "onderwerp3", k=3, mode="hybrid")
    assert hits[0].article_id == "art-3"
    assert hits[0].text and hits[0].end > hits[0].start


def test_rrf_prefers_agreement():
    from index.records import Hit

    def h(cid: str) -> Hit:
        return Hit(cid, 0.0, "a", 0, "", None, None, None, None, "", 0, 0)

    fused = rrf([[h("x"), h("y"), h("z")], [h("y")]], k=3)
    assert [hit.chunk_id for hit, _ in fused] == ["y", "x", "z"]


def test_bm25_query_is_safe_for_fts_syntax(fake_ingest):
    _, store = fake_ingest(_articles(2))
    for q in ['"', "NEAR(", "a OR", "*", "-", "()", "onderwerp1 AND NOT"]:
        search(store, q, k=3, mode="bm25")  # no FTS5 syntax error


def test_hybrid_hits_are_the_stored_chunks_and_skip_half_written_ones(fake_ingest):
    _, store = fake_ingest(_articles())
    hybrid = search(store, "onderwerp3", k=3, mode="hybrid")
    dense = {h.chunk_id: h for h in search(store, "onderwerp3", k=50, mode="dense")}
    for hit in hybrid:  # text, offsets and metadata as dense search reads them from Chroma
        assert replace(hit, score=0.0) == replace(dense[hit.chunk_id], score=0.0)
    # a chunk in Chroma whose catalog row an interrupted ingest never wrote is left out, not an error
    store.catalog.delete_chunks([hybrid[0].chunk_id])
    assert hybrid[0].chunk_id not in {h.chunk_id for h in search(store, "onderwerp3", k=3, mode="hybrid")}


def test_rrf_ids_matches_rrf():
    from index.search import rrf_ids

    assert [cid for cid, _ in rrf_ids([[("x", 0.9), ("y", 0.8), ("z", 0.7)], [("y", 3.0)]], k=3)] == ["y", "x", "z"]
