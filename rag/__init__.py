"""Answering: retrieval, prompting, LLM backends, citations; evaluation and the benchmark.

Nothing here imports `ui`, click or the settings: objects and figures come in as arguments (`ui.wiring`
builds them from the configuration).
"""
