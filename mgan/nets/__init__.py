"""The networks and what goes in and out of them.

- :mod:`~mgan.nets.networks`: ``build_generator`` / ``build_discriminator`` from the papers' layer tables.
- :mod:`~mgan.nets.layers`: the fast drop-in convolutions and SAGAN's self-attention block (Keras serializable).
- :mod:`~mgan.nets.latent`: the generator's input: noise distributions, seeded noise streams, one-hot labels.
- :mod:`~mgan.nets.precision`: the numeric precision the networks are built and run in.
- :mod:`~mgan.nets.sampling`: samples and sample grids drawn from a generator.
"""
