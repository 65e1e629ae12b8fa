"""mgan: TF2/Keras 3 reproductions of metric-learning GANs (DMGAN, MBGAN, KM-GAN) and the IE loss."""
__version__ = "0.1.0"
