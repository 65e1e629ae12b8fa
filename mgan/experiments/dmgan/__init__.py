"""The DMGAN paper's experiments (DMGAN Figs. 3-7, Tables 2-3; scripts ``reproduce/fig*.py``, ``table*.py``).

- :mod:`~mgan.experiments.dmgan.baselines`: the baselines of its experiments, declared once.
- :mod:`~mgan.experiments.dmgan.paper_values`: the numbers it reports (Tables 2 and 3, λ per data set).
"""
