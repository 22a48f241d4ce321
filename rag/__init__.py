"""Answering: retrieval, prompting, LLM backends, citations."""
