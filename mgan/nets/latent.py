"""The generator's input: noise distributions (METHODS D11), the seeded noise streams of a run, one-hot labels.

Every draw is stateless: a pure function of a seed pair, so the noise of training iteration t, of the sample grids
and of evaluation samples is the same in every process and after every resume. The salts keep the streams apart.
"""
import tensorflow as tf

from mgan.errors import check_choice

NOISES = ("uniform01", "uniform11", "normal")

TRAIN_NOISE_SALT = 1  # training iterations: seed pair (seed, TRAIN_NOISE_SALT * 2**40 + t)
GRID_SALT = 2  # the fixed noise of a run's sample grids
EVAL_SALT = 3  # samples drawn for evaluation (mgan.nets.sampling.generate)
G_STEP_SALT = 4  # fresh noise of the generator steps of MBGAN (Algorithm 1, step 4): index iteration * n_gen + step
PAIR_SALT = 5  # MBGAN's within-batch anchor choice of iteration t (mgan.models.mbgan.anchor_indices)
CRITIC_SALT = 6  # WGAN / WGAN-GP critic steps: index iteration * max_critic_steps + step (mgan.models.wgan)
GP_SALT = 7  # WGAN-GP's mixing weights α, same index as CRITIC_SALT
INTERP_SALT = 8  # the end points z_l, z_r of interpolation rows (MBGAN Fig. 9, mgan.training.trained)
EVAL_LABEL_SALT = EVAL_SALT + 100  # the labels of evaluation samples (mgan.nets.sampling.generate)

STREAM_STRIDE = 1 << 40  # the training streams' index: salt * STREAM_STRIDE + index (iteration, step)
EVAL_STRIDE = 1_000_003  # evaluation samples: salt * EVAL_STRIDE + batch index


def seed_pair(seed, salt, index=None, stride=STREAM_STRIDE, dtype=tf.int64):
    """The seed pair of a stateless draw, a [2] tensor of ``dtype``: ``(seed, salt)`` for a stream of one draw, or
    ``(seed, salt * stride + index)`` for the ``index``-th draw of stream ``salt`` (a training iteration, a critic
    step, a batch of evaluation samples). The one way the package builds seed pairs; every pair is the one the
    stream has always used, so draws are unchanged. Arithmetic in ``dtype`` (int64: indices past 2**31)."""
    if index is None:
        return tf.stack([tf.cast(seed, dtype), tf.constant(salt, dtype)])
    return tf.stack([tf.cast(seed, dtype), tf.cast(salt, dtype) * stride + tf.cast(index, dtype)])


def sample_noise(shape, noise, seed):
    """Noise of ``shape`` from a stateless generator: ``seed`` is a pair of ints (or an int tensor of shape [2])."""
    check_choice("noise", noise, NOISES)
    if noise == "uniform01":
        return tf.random.stateless_uniform(shape, seed, minval=0.0, maxval=1.0)
    if noise == "uniform11":
        return tf.random.stateless_uniform(shape, seed, minval=-1.0, maxval=1.0)
    return tf.random.stateless_normal(shape, seed)


def training_noise(seed, iteration, batch_size, z_dim, noise, salt=TRAIN_NOISE_SALT):
    """The noise of training iteration ``iteration`` (0-based) of a run seeded ``seed``: a pure function of both.
    ``salt`` selects the stream (``G_STEP_SALT``: the generator steps' own draws)."""
    return sample_noise(tf.stack([tf.cast(batch_size, tf.int32), z_dim]), noise, seed_pair(seed, salt, iteration))


def generator_input(z, y, num_classes, conditional):
    """G's input: z, or z ⊕ onehot(y) for a conditional generator (METHODS D2)."""
    if not conditional:
        return z
    if y is None:
        raise ValueError("a conditional generator needs labels: call the model on (z, y) and train it on (x, y) "
                         "batches")
    return tf.concat([z, tf.one_hot(tf.cast(y, tf.int32), num_classes)], axis=1)
