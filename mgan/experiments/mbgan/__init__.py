"""The MBGAN paper's experiments (Dai et al. 2017; scripts ``reproduce/mbgan_*.py``).

- :mod:`~mgan.experiments.mbgan.paper`: what its six scripts share (configs, points, the SVM protocol, experiments).
- :mod:`~mgan.experiments.mbgan.paper_values`: the numbers it reports (SVM accuracies, the α and K grids).
"""
