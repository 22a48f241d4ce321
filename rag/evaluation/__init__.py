"""Evaluation of the assistant against files of test prompts (`newsrag eval`).

Modules, one idea each: `prompts` (loading prompt files), `normalize` (answer normalisation),
`metrics` (per-prompt scores and their aggregation), `corpus` (a store of its own per evaluated corpus),
`runner` (running the prompts through retrieval or the whole assistant), `reports` (terminal table,
markdown, JUnit XML), `plot` (PNG chart), `baseline` (LangChain's tutorial pipeline on the same prompts),
`comparison` (ours against the baseline: differences, latency ratios, their table and report section). Nothing is imported here, so importing the package is free.
"""
