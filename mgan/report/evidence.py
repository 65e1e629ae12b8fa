"""The numbers of the committed result files, per point and seed, as the claims read them.

A results directory ``results/<name>/`` holds ``results.json`` (written by :mod:`mgan.experiments.sweep` or the IE
experiment). Per seed this module returns the score (classifier score or IS), the distance (classifier FD or FID),
the SVM accuracy and whether the run learns: :func:`mgan.metrics.class_report.learns` judged again from the stored
class report, so points saved under an older criterion get today's.
"""
import json
import os

from mgan.errors import UserError
from mgan.metrics.class_report import learns as _learns

MEASURES = {"score": "score_mean", "distance": "distance", "svm": "svm_accuracy"}


class MissingResultsError(UserError):
    """A results directory or point that a claim needs is not there."""


class Results:
    """One directory's ``results.json``."""

    def __init__(self, name, data):
        self.name, self.data = name, data

    @classmethod
    def load(cls, results_dir, name):
        path = os.path.join(results_dir, name, "results.json")
        try:
            with open(path) as f:
                return cls(name, json.load(f))
        except FileNotFoundError:
            raise MissingResultsError(f"{path} does not exist: run reproduce/{name}.py first") from None
        except ValueError as e:
            raise MissingResultsError(f"{path} is not valid JSON ({e}); restore it from git") from None

    @property
    def scale(self):
        s = self.data.get("scale")
        return s.get("name") if isinstance(s, dict) else s

    @property
    def substitute(self):
        """(paper's data set, data set used) when the run substituted the paper's data set, else None."""
        d = self.data.get("data") or {}
        return (d.get("paper"), d.get("used")) if d.get("substitute") else None

    def has(self, label):
        return label in (self.data.get("points") or {})

    def _seeds(self, label):
        points = self.data.get("points") or {}
        if label not in points:
            raise MissingResultsError(f"results/{self.name} has no point {label!r} (it has {sorted(points)})")
        return points[label]["per_seed"]

    def values(self, label, measure):
        """Per-seed values of ``measure`` ('score', 'distance' or 'svm') of point ``label``."""
        key = MEASURES[measure]
        vals = [s["summary"].get(key) for s in self._seeds(label)]
        if any(v is None for v in vals):
            raise MissingResultsError(f"results/{self.name} point {label!r} has no {measure} for every seed")
        return vals

    def learns(self, label):
        """Per-seed learns() of point ``label`` (its class report judged again)."""
        out = []
        for s in self._seeds(label):
            report = s["summary"].get("class_report")
            if report is None:
                raise MissingResultsError(f"results/{self.name} point {label!r} has no class report")
            out.append(_learns(report)[0])
        return out

    def classes(self, label):
        return [s["summary"]["class_report"]["classes_covered"] for s in self._seeds(label)]

    def n_seeds(self, label):
        return len(self._seeds(label))


class Evidence:
    """The result files under ``results_dir``, each loaded once."""

    def __init__(self, results_dir):
        self.results_dir = results_dir
        self._cache = {}

    def __call__(self, name):
        if name not in self._cache:
            self._cache[name] = Results.load(self.results_dir, name)
        return self._cache[name]
