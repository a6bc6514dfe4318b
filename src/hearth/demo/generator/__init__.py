"""Synthetic bilingual community behind ``hearth demo`` and the benchmarks.

Pure Python + numpy, no Django: the same generator feeds the demo loader, the benchmarks and
the analyzers' evaluation (``Community.labels`` is the ground truth of every item's category).

Everything is driven by explicit seeds (``random.Random`` / ``numpy.random.default_rng``) and
the ``now`` passed in, so a seed always produces byte-identical items.

Import from the module that defines what you need (this package re-exports nothing):

- ``data``: the brand, its channels, the content mixes, the daily rhythm, the crisis constants
  and the template bank (hand-written texts in ``templates_fr`` and ``templates_en``);
- ``people``: names, handles, per-platform author ids and the members (the 1 % rule);
- ``community``: ``Community`` and ``generate_community``, a month of history;
- ``summary``: ``activity_summary``, the figures measured from a community's items;
- ``stream``: ``generate_messages``, the fast stream of millions of items for benchmarks;
- ``trickle``: ``LiveTrickle``, a few new items at a time while the demo runs.

Run ``python -m hearth.demo.generator --summary`` (``__main__.py``) for the activity summary of
the default community, ``--bench N`` to time ``generate_messages`` and ``--dump DIR`` to write
one JSONL file per channel in the import format.
"""
