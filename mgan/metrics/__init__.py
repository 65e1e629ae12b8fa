"""Sample-quality metrics (METHODS.md §10): Inception Score / FID with the TF-GAN Inception module, and the offline
"classifier score" / "classifier FD" with a small per-data-set CNN.

Modules
    `scoring`      — the front end: `score_images`, `score_npz`, `score_run` (numbers plus their protocol) and the
                     cached reference statistics of real sets.
    `scores`       — the IS and Fréchet-distance math (tensorflow-gan's score per split; §10.4 FID math in
                     float64 with a tensorflow-gan cross-check; see that docstring for the fidelity decision).
    `tfgan_compat` — tensorflow-gan's evaluation functions without its package `__init__` (TF >= 2.16).
    `inception`    — loading the TF-GAN Inception module and the §10.2 preprocessing.
    `classifier`   — the per-data-set CNNs behind the classifier metric.
    `class_report` — classes covered, label agreement, confidence and diversity of classifier-scored samples.
"""
from mgan.metrics.inception import InceptionUnavailableError, inception_logits_and_pool, load_inception
from mgan.metrics.scores import (FrechetDistanceError, activation_statistics, frechet_distance_from_activations,
                                 frechet_distance_from_stats, inception_score_from_logits,
                                 inception_score_per_split)
from mgan.metrics.scoring import (METRICS, default_cache_root, get_network, reference_statistics, score_images,
                                  score_npz, score_run)

__all__ = [
    "METRICS", "FrechetDistanceError", "InceptionUnavailableError", "activation_statistics",
    "frechet_distance_from_activations", "frechet_distance_from_stats", "inception_score_from_logits",
    "inception_score_per_split", "inception_logits_and_pool", "load_inception", "reference_statistics",
    "score_images", "score_npz", "score_run", "default_cache_root", "get_network",
]
