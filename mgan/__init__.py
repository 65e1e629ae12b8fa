"""mgan: TF2/Keras 3 reproductions of metric-learning GANs (DMGAN, MBGAN, KM-GAN) and the IE loss.

Importing the package registers its Keras classes (the fast layers of ``mgan.nets.layers`` and the GAN models of
``mgan.models``), so ``keras.saving.load_model`` can read the ``generator.keras`` files of runs and saved GANs.
"""
__version__ = "0.1.0"

from mgan import models  # noqa: E402,F401  (registers the Keras serializable classes)
from mgan.nets import layers  # noqa: E402,F401
