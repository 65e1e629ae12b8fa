"""The common GAN model: generator, discriminator, label handling, noise, clipping and metric trackers.

Each paper's method is a subclass that implements only its ``train_step`` (the losses), so every model plugs into the
same runner, checkpointing, sampling and evaluation code. A batch is ``(x, y, z)``: images in [-1, 1], int labels and
the noise for this step (drawn by the runner from the step number, so resumed runs see the same noise).
"""
import keras
import tensorflow as tf

NOISES = ("uniform01", "uniform11", "normal")


def sample_noise(shape, noise, seed):
    """Noise of ``shape`` from a stateless generator: ``seed`` is a pair of ints (or int tensor of shape [2])."""
    if noise == "uniform01":
        return tf.random.stateless_uniform(shape, seed, minval=0.0, maxval=1.0)
    if noise == "uniform11":
        return tf.random.stateless_uniform(shape, seed, minval=-1.0, maxval=1.0)
    if noise == "normal":
        return tf.random.stateless_normal(shape, seed)
    raise ValueError(f"unknown noise {noise!r}; valid: {list(NOISES)}")


class GANModel(keras.Model):
    """Base class. Subclasses set ``metric_names`` and implement ``train_step((x, y, z))``.

    Args:
      generator, discriminator: Keras models (see mgan.networks).
      num_classes: classes of the data (1 for unlabeled data).
      conditional: G takes z ⊕ onehot(y).
      d_conditional: D takes [x, onehot(y)] (conditional baselines only; metric GANs see images only, D20).
      z_dim, noise: noise dimension and distribution (D11).
      clip, clip_scope: weight clipping of D after each D step (D8); 0 disables it.
    """

    metric_names = ()

    def __init__(self, generator, discriminator, *, num_classes, conditional, z_dim, noise, d_conditional=False,
                 clip=0.0, clip_scope="all", n_gen=1, sample_bn="inference", **kwargs):
        super().__init__(**kwargs)
        if noise not in NOISES:
            raise ValueError(f"unknown noise {noise!r}; valid: {list(NOISES)}")
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = int(num_classes)
        self.conditional = bool(conditional)
        self.d_conditional = bool(d_conditional)
        self.z_dim = int(z_dim)
        self.noise = noise
        self.clip = float(clip)
        self.clip_scope = clip_scope
        self.n_gen = int(n_gen)
        self.sample_bn = sample_bn
        self.trackers = {n: keras.metrics.Mean(name=n) for n in self.metric_names}

    # ----- Keras API -------------------------------------------------------------------------------------------
    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Build the optimizer slots now so a checkpoint restores them before the first step.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        z, y = inputs
        return self.generator(self.generator_input(z, y), training=training)

    def iteration_passes(self):
        """Network passes of one iteration in units of a forward pass (a backward pass needing input and weight
        gradients counts 2, input gradients only 1); used to count an iteration's multiply-adds (benchmarks)."""
        raise NotImplementedError(f"{type(self).__name__} does not declare its iteration_passes")

    # ----- shared pieces ---------------------------------------------------------------------------------------
    def onehot(self, y):
        return tf.one_hot(tf.cast(y, tf.int32), self.num_classes)

    def generator_input(self, z, y):
        return tf.concat([z, self.onehot(y)], axis=1) if self.conditional else z

    def discriminate(self, x, y, training=True):
        if self.d_conditional:
            return self.discriminator([x, self.onehot(y)], training=training)
        return self.discriminator(x, training=training)

    def clip_variables(self):
        """The D variables clipped by D8: all trainable ones, or the conv/dense kernels only."""
        vs = self.discriminator.trainable_variables
        if self.clip_scope == "kernels":
            vs = [v for v in vs if v.path.endswith("kernel")]
        return vs

    def clip_discriminator(self):
        if self.clip > 0:
            for v in self.clip_variables():
                v.assign(tf.clip_by_value(v, -self.clip, self.clip))

    def record(self, **values):
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def sample_labels(self, n, seed):
        return tf.random.stateless_uniform([n], seed, 0, self.num_classes, dtype=tf.int32)
