"""tensorflow-gan's evaluation math, importable on TF >= 2.16.

`import tensorflow_gan` fails on TF >= 2.16: the package `__init__` imports `tensorflow_gan.python.estimator`, which
needs `tf.estimator` (removed in TF 2.16), and it imports `distutils` (removed in Python 3.12). The evaluation module
`tensorflow_gan/python/eval/classifier_metrics.py` itself only needs `tensorflow`, `tensorflow_probability` and its
sibling `eval_utils.py`, so this module loads exactly those two files, without running any package `__init__`:

1. locate the installed package with `importlib.util.find_spec('tensorflow_gan')` (this does not execute it);
2. temporarily put empty stub packages `tensorflow_gan`, `tensorflow_gan.python`, `tensorflow_gan.python.eval`
   into `sys.modules` (so that `from tensorflow_gan.python.eval import eval_utils` inside classifier_metrics
   resolves), load `eval_utils.py` and `classifier_metrics.py` from their files with
   `importlib.util.spec_from_file_location`;
3. remove the stubs and the two modules from `sys.modules` again (restoring whatever was there), keeping private
   references, so that nobody else later imports a stub in place of the real package.

If the real package has already been imported successfully (an older TF), its modules are used as they are.

Both exported functions run in TF2 eager mode (checked by tests/test_metrics.py): they only use eager-compatible ops
(`tf.nn.softmax`, `tf.linalg.svd`, `tfp.stats.covariance`, ...); the streaming variants, which need TF1 local
variables, are not exported.

Exports: `classifier_score_from_logits(logits)`, `frechet_classifier_distance_from_activations(a1, a2)`,
`trace_sqrt_product(sigma1, sigma2)` (tf-gan's Tr((Σ1 Σ2)^{1/2}), used for a cross-check from precomputed
statistics) and `TFGAN_VERSION`.
"""
import importlib.util
import os
import sys
import threading
import types

_LOCK = threading.Lock()
_MODULES = {}

_STUBS = ("tensorflow_gan", "tensorflow_gan.python", "tensorflow_gan.python.eval")
_EVAL_UTILS = "tensorflow_gan.python.eval.eval_utils"
_CLASSIFIER_METRICS = "tensorflow_gan.python.eval.classifier_metrics"


class TFGANUnavailableError(ImportError):
    """tensorflow-gan is not installed or its evaluation module could not be loaded."""


def _package_root():
    spec = importlib.util.find_spec("tensorflow_gan")
    if spec is None or not spec.submodule_search_locations:
        raise TFGANUnavailableError(
            "tensorflow-gan is not installed; install it with `pip install tensorflow-gan==2.1.0` "
            "(only its evaluation math is used, through mgan.metrics.tfgan_compat)")
    return list(spec.submodule_search_locations)[0]


def _load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load():
    with _LOCK:
        if _MODULES:
            return _MODULES["classifier_metrics"]
        real = sys.modules.get("tensorflow_gan")
        if real is not None and not getattr(real, "_mgan_stub", False) and _CLASSIFIER_METRICS in sys.modules:
            _MODULES["classifier_metrics"] = sys.modules[_CLASSIFIER_METRICS]
            return _MODULES["classifier_metrics"]
        root = _package_root()
        names = _STUBS + (_EVAL_UTILS, _CLASSIFIER_METRICS)
        saved = {n: sys.modules[n] for n in names if n in sys.modules}
        try:
            for name in _STUBS:
                stub = types.ModuleType(name)
                stub.__path__ = [os.path.join(root, *name.split(".")[1:])]
                stub._mgan_stub = True
                sys.modules[name] = stub
            eval_dir = os.path.join(root, "python", "eval")
            eval_utils = _load_file(_EVAL_UTILS, os.path.join(eval_dir, "eval_utils.py"))
            sys.modules["tensorflow_gan.python.eval"].eval_utils = eval_utils
            cm = _load_file(_CLASSIFIER_METRICS, os.path.join(eval_dir, "classifier_metrics.py"))
        except Exception as e:  # pragma: no cover - depends on the installed versions
            raise TFGANUnavailableError(
                f"could not load tensorflow-gan's evaluation module from {root}: {type(e).__name__}: {e}") from e
        finally:
            for name in names:
                sys.modules.pop(name, None)
            sys.modules.update(saved)
        _MODULES["classifier_metrics"] = cm
        return cm


def classifier_metrics_module():
    """The loaded `tensorflow_gan.python.eval.classifier_metrics` module object."""
    return _load()


def classifier_score_from_logits(logits):
    """tf-gan's `classifier_score_from_logits` (exp E_x KL(p(y|x) || p(y)), computed in float64 internally)."""
    return _load().classifier_score_from_logits(logits)


def frechet_classifier_distance_from_activations(activations1, activations2):
    """tf-gan's `frechet_classifier_distance_from_activations` (unbiased covariances, SVD-based trace sqrt)."""
    return _load().frechet_classifier_distance_from_activations(activations1, activations2)


def trace_sqrt_product(sigma1, sigma2):
    """tf-gan's `trace_sqrt_product`: Tr((Σ1 Σ2)^{1/2}) via symmetric square roots (A = Σ1^{1/2}, Tr sqrt(A Σ2 A))."""
    return _load().trace_sqrt_product(sigma1, sigma2)
