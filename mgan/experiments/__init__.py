"""Experiment library of the reproduce scripts (issue 3): the framework here, each paper's declarations in its folder.

The framework:

- :mod:`~mgan.experiments.runs`: the run store (TrainConfig -> run directory keyed by a hash of the
  result-relevant fields; ``ensure_run`` trains or resumes through ``mgan.training.runner.train``), shared by all
  scripts.
- :mod:`~mgan.experiments.sweep`: ``Experiment`` / ``Point`` / ``Row`` declarations and ``run`` (train, score,
  save each point as soon as it finishes, skip finished points, aggregate over seeds, write the outputs).
- :mod:`~mgan.experiments.tables`, :mod:`~mgan.experiments.figures`: ``table.md`` and the PNG figures.
- :mod:`~mgan.experiments.scales`: ``full`` (the paper's protocol) and ``smoke`` (tiny CPU budgets).
- :mod:`~mgan.experiments.published`, :mod:`~mgan.experiments.scrub_results`: what goes under ``--out``.
- :mod:`~mgan.experiments.cli`: the flag set shared by every ``reproduce/*.py`` script and its entry point.

The papers (each folder: the experiments its scripts share and ``paper_values``, the numbers the paper reports):
:mod:`~mgan.experiments.dmgan`, :mod:`~mgan.experiments.mbgan`, :mod:`~mgan.experiments.kmgan` and
:mod:`~mgan.experiments.ie` (the IE-loss classification experiment, its own small runner).
"""
