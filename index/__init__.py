"""Article corpus → passages → Chroma + BM25: loading, chunking, embedding, storing and searching.

Nothing here imports `rag` or `ui`, click or the settings: every function takes plain arguments (`ui.wiring`
builds them from the configuration). Nothing runs at import time.
"""
