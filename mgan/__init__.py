"""mgan: TF2/Keras 3 reproductions of metric-learning GANs (DMGAN, MBGAN, KM-GAN) and the IE loss.

Importing the package registers its Keras layers (``mgan.layers``), so ``keras.saving.load_model`` can read the
``generator.keras`` files of runs.
"""
__version__ = "0.1.0"

from mgan import layers  # noqa: E402,F401  (registers FastConv2D / FastConv2DTranspose for deserialisation)
