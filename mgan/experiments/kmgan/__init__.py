"""The KM-GAN paper's experiments (reconstructed, METHODS §6; scripts ``reproduce/kmgan_*.py``).

- :mod:`~mgan.experiments.kmgan.paper`: what its six scripts share (points and experiments).
- :mod:`~mgan.experiments.kmgan.figures`: its two figures that are not sample grids (features, class frequencies).
- :mod:`~mgan.experiments.kmgan.paper_values`: what survives of its numbers.
"""
