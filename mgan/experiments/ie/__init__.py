"""The IE-loss classification experiment (METHODS §7.3; script ``reproduce/ie_loss_classification.py``): not a GAN
sweep, so its own small runner, on the shared scales (``Scale.ie``), ``Context`` and flags of
:mod:`mgan.experiments.cli`.

- :mod:`~mgan.experiments.ie.classification`: the points, their keys and ``run(ctx)``.
- :mod:`~mgan.experiments.ie.points`: one point trained through Keras ``fit`` (exact resume) and scored.
- :mod:`~mgan.experiments.ie.report`: ``table.md`` and the 2-D feature figure.
"""
