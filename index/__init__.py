"""Article corpus → passages → Chroma + BM25: loading, chunking, embedding, storing and searching.

Nothing here imports `rag` or `ui`; nothing runs at import time.
"""
