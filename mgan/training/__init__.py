"""A training run, start to end: everything ``python -m mgan.train`` does around ``model.fit``, and reading a run
back.

- :mod:`~mgan.training.runner`: ``train(cfg)``, the run directory around ``model.fit`` (its layout: the docstring).
- :mod:`~mgan.training.callbacks`: the run's Keras callbacks (NaN/Inf stop, timer, log, sample grids, checkpoints).
- :mod:`~mgan.training.checkpoints`: step-numbered checkpoints that survive damage.
- :mod:`~mgan.training.manifest`: ``manifest.json``, its one reader and the config it records.
- :mod:`~mgan.training.lock`: one writer per directory (runs, results, caches).
- :mod:`~mgan.training.trained`: a finished run read back (its generator, its whole model, samples from it).
- :mod:`~mgan.training.timing`: wall time and multiply-adds of whole training iterations.

Imports nothing itself, so importing one of its modules does not import the others.
"""
