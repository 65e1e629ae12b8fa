"""Training precision (issue 14): ``float32`` (the papers' precision, the default) or ``mixed_bfloat16``.

``mixed_bfloat16`` is Keras' mixed-precision policy: the layers of the generator and the discriminator compute in
bfloat16 (their variables are read as bfloat16 casts inside ``call``), while everything that is state or statistics
stays float32:

- every variable (weights, BN moving statistics, DMGAN's centers, the iteration counter) and every optimizer slot;
- BatchNormalization's arithmetic (Keras upcasts its input to float32 and casts the output back);
- the networks' outputs: G's final tanh and D's head run under a float32 policy (:data:`OUTPUT_DTYPE`, used by
  :mod:`mgan.nets.networks`), so generated images and D's features / logits are float32 tensors;
- the losses, norms, waDMGAN weights and center updates (:mod:`mgan.objectives.losses` and
  :mod:`mgan.objectives.centers` cast their inputs to float32), and SAGAN's spectral normalization (its wrapper runs
  under a float32 policy, so the power iteration and the normalized kernel it writes back are float32);
- the metric networks (classifier, Inception) and the SVM features, which are built outside the policy.

Layers capture the global policy when they are constructed, so :func:`policy` only needs to wrap the construction of
the networks (``mgan.models.build_model``, and the loading of a saved generator); it restores the previous global
policy on exit, so a later model (or metric network) is float32 again. No loss scaling is needed: bfloat16 has
float32's exponent range.
"""
import contextlib

import keras

from mgan.config import PRECISIONS
from mgan.errors import ConfigError
DEFAULT = "float32"
# The policy of the layers whose outputs leave the networks (G's tanh, D's head) and of SAGAN's spectral-norm wrappers.
OUTPUT_DTYPE = "float32"


def check(precision):
    """ConfigError listing the choices when ``precision`` is not one of :data:`PRECISIONS`."""
    if precision not in PRECISIONS:
        raise ConfigError(f"--precision={precision!r} is not valid; choose one of {list(PRECISIONS)} (float32 is the "
                          f"papers' precision; mixed_bfloat16 computes the networks in bfloat16, keeping variables, "
                          f"optimizer state and losses in float32)")
    return precision


def of(config_like):
    """The precision recorded in a config object or dict (``float32`` when it predates the field)."""
    if isinstance(config_like, dict):
        return config_like.get("precision") or DEFAULT
    return getattr(config_like, "precision", None) or DEFAULT


@contextlib.contextmanager
def policy(precision):
    """Keras' global dtype policy set to ``precision`` while the block runs (layers built inside keep it); the
    previous policy is restored on exit, also after an error."""
    check(precision)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def compute_dtype(precision):
    """The dtype the networks compute in under ``precision`` (float32 or bfloat16)."""
    return keras.dtype_policies.get(check(precision)).compute_dtype


def describe(precision):
    """A short phrase for tables and logs."""
    check(precision)
    if precision == "float32":
        return "float32 (the papers' precision)"
    return "mixed bfloat16 (networks compute in bfloat16; variables, optimizer state, losses and metrics float32)"
