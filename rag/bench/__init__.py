"""`newsrag bench`: ingestion, retrieval and local-LLM performance of one corpus, measured in one run.

Modules, one idea each: `runner` (the phases in order, each in a process of its own, and the report),
`phases` (raw encoder, ingest, re-ingest and LangChain's tutorial pipeline), `retrieval` (latency per store
size, and serving a grown store), `llm` (the local model on five fixed questions), `machine` (CPU flags, the
encoder backend chosen and llama.cpp's build), `stats` (latency summaries, rates, the targets, contention)
`report` (the figures as a table, and the JSON keys) and `setup` (what the phases take from the
configuration, built at the edge). The command itself is in `ui/cli/bench.py`.

Only public APIs of the store, the catalog, LangChain and llama-cpp-python are used, and every path (the
corpus, the sample corpus of the LLM questions) comes in as an argument. Nothing is imported here, so
importing the package is free.
"""
