"""MBGAN (Dai et al. 2017, Eqs. 1-6, Algorithm 1): a triplet-hinge discriminator with a data-dependent margin.

One iteration: draw the triplets (real anchor x_i, real positive x_j, fake G(z)) by METHODS D21, compute the margin
h = α · L1(x_j, G(z)) (Eq. 4, D9, no gradient), take one Adam step of D on Eq. 1 (Eq. 5), then ``n_gen`` Adam steps
of G on Eq. 2 (Eq. 6), each with fresh noise and the outer x_j and y (METHODS §5.2 step 4). No weight clipping.

Pairs (D21, ``pair_sampling``):
- ``'class_matched'`` (conditional default): the anchor of pair j is another image of the batch with the label y_j,
  chosen at random: within each class the batch is put in a random cycle, so every image is the anchor of exactly
  one pair and never its own (an image alone of its class in the batch is its own anchor, d(x_i, x_j) = 0).
- ``'permute'``: the anchors are a random permutation of the batch, labels ignored.
- ``'independent'`` (unlabeled default): the anchors are a second, independent real batch; the fit batches are
  then ``((x, x_anchor), y)`` (:func:`with_anchor_batches` builds them; the runner does so by itself).
Within-batch anchors are the same images as the positives, so D(x_i) is the row-permuted D(x_j) of the same call
(BN batch statistics are those of the batch in either order); the independent anchors get their own D call (D13).
"""
import keras
import tensorflow as tf

from mgan.errors import check_choice
from mgan.models.base import GANModel
from mgan.nets import latent
from mgan.objectives import losses

PAIR_SAMPLINGS = ("class_matched", "independent", "permute")
LABEL_MODES = ("conditional", "unlabeled")
ANCHOR_SEED_OFFSET = 1_000_003  # the anchor batches of 'independent' use data order seed + this offset


def anchor_indices(y, seed_pair, pair_sampling):
    """The index of the anchor x_i of each pair j of the batch (within-batch modes), shape [m], a pure function of
    the labels and ``seed_pair``. 'class_matched': y[anchor[j]] == y[j], a random cycle within each class (no fixed
    point unless the class has one image); 'permute': a random permutation of 0..m-1."""
    y = tf.cast(tf.convert_to_tensor(y), tf.int32)
    m = tf.shape(y)[0]
    u = tf.random.stateless_uniform([m], seed_pair, dtype=tf.float32)
    if pair_sampling == "permute":
        return tf.argsort(u, stable=True)
    if pair_sampling != "class_matched":
        raise ValueError(f"anchor_indices draws within-batch anchors ('class_matched' | 'permute'), got "
                         f"{pair_sampling!r}")
    # random order within each class: sort by (y, u); then each position points to the next of its class (cyclic)
    order = tf.argsort(tf.cast(y, tf.float32) + 0.5 * u, stable=True)
    sorted_y = tf.gather(y, order)
    start = tf.searchsorted(sorted_y, sorted_y, side="left")
    end = tf.searchsorted(sorted_y, sorted_y, side="right")
    pos = tf.range(m)
    nxt = tf.where(pos + 1 < end, pos + 1, start)
    return tf.scatter_nd(order[:, None], tf.gather(order, nxt), [m])


def with_anchor_batches(batches, anchor_batches):
    """Fit batches ``((x, x_anchor), y)`` for ``pair_sampling='independent'`` from two ``(x, y)`` datasets."""
    return tf.data.Dataset.zip(batches, anchor_batches).map(lambda a, b: ((a[0], b[0]), a[1]))


@keras.saving.register_keras_serializable(package="mgan")
class MBGAN(GANModel):
    """Metric-based GAN.

    Args (besides GANModel's): alpha: α of Eq. 4.  margin_reduction: D9, 'mean' | 'sum' over pixels.
      pair_sampling: D21 (see the module docstring).  label_mode: 'conditional' (Eqs. 5-6, G gets z ⊕ onehot(y))
      or 'unlabeled' (Eqs. 1-2).  n_gen: G steps per iteration (D9: 1).  norm_eps: see mgan.objectives.losses.
    D's output dimension is K (``feature_dim``).
    """

    metric_names = ("d_loss", "g_loss", "margin", "d_pos", "d_neg", "hinge_active", "g_grad_norm")

    def __init__(self, generator, discriminator, *, alpha, margin_reduction="mean", pair_sampling="class_matched",
                 label_mode="conditional", n_gen=1, norm_eps=losses.NORM_EPS, **kwargs):
        check_choice("margin_reduction", margin_reduction, losses.MARGIN_REDUCTIONS)
        check_choice("pair_sampling", pair_sampling, PAIR_SAMPLINGS)
        check_choice("label_mode", label_mode, LABEL_MODES)
        if pair_sampling == "class_matched" and label_mode == "unlabeled":
            raise ValueError("pair_sampling='class_matched' needs labels; with label_mode='unlabeled' use "
                             "'independent' or 'permute' (D21)")
        if int(n_gen) < 1:
            raise ValueError(f"n_gen must be >= 1 (generator steps per iteration), got {n_gen}")
        super().__init__(generator, discriminator, conditional=(label_mode == "conditional"), **kwargs)
        self.alpha = float(alpha)
        self.margin_reduction = margin_reduction
        self.pair_sampling = pair_sampling
        self.label_mode = label_mode
        self.n_gen = int(n_gen)
        self.norm_eps = float(norm_eps)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "margin_reduction": self.margin_reduction,
                "pair_sampling": self.pair_sampling, "label_mode": self.label_mode, "n_gen": self.n_gen,
                "norm_eps": self.norm_eps}

    @property
    def uses_labels(self):
        return self.label_mode != "unlabeled" or self.pair_sampling == "class_matched"

    @property
    def needs_anchor_batches(self):
        """Whether the fit batches must carry a second real batch, ``((x, x_anchor), y)``."""
        return self.pair_sampling == "independent"

    def iteration_passes(self):
        # D step: G fwd (1); D fwd + weight bwd on the positives and fakes (3 + 3), on independent anchors (+3);
        # each G step: G fwd + weight bwd (3), D(x_j) fwd (1), D(G(z)) fwd + input bwd (2).
        d_calls = 3 if self.needs_anchor_batches else 2
        return {"generator": 1 + 3 * self.n_gen, "discriminator": 3 * d_calls + 3 * self.n_gen}

    def split_batch(self, data):
        """(positives x_j, anchors x_i or None, y, sample_weight) of a fit batch."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (tuple, list)):
            if not self.needs_anchor_batches:
                raise ValueError(f"pair_sampling={self.pair_sampling!r} draws anchors within the batch; fit on x or "
                                 f"(x, y) batches, not on (x, x_anchor) pairs")
            x, anchors = x
            x, y, sample_weight = self.unpack((x, y, sample_weight))
            return x, tf.convert_to_tensor(anchors), y, sample_weight
        if self.needs_anchor_batches:
            raise ValueError("pair_sampling='independent' takes its anchors from a second real batch: fit on "
                             "((x, x_anchor), y) batches (mgan.models.mbgan.with_anchor_batches), or use "
                             "pair_sampling='permute' for anchors from the same batch (D21)")
        x, y, sample_weight = self.unpack((x, y, sample_weight))
        return x, None, y, sample_weight

    def anchor_features(self, x, anchors, y, f_positive):
        """D(x_i): a D call on the independent anchor batch, or the rows of D(x_j) chosen by the pair sampling."""
        if anchors is not None:
            return self.discriminator(anchors, training=True)
        pair = latent.seed_pair(self.seed, latent.PAIR_SALT, self.iteration)
        return tf.gather(f_positive, anchor_indices(y, pair, self.pair_sampling))

    def train_step(self, data):
        """One iteration of Algorithm 1: one D step on Eq. 1 (5), then ``n_gen`` G steps on Eq. 2 (6)."""
        x, anchors, y, sample_weight = self.split_batch(data)
        m = tf.shape(x)[0]
        D, G = self.discriminator, self.generator
        fake = G(self.generator_input(self.iteration_noise(m), y), training=True)
        h = losses.mbgan_margin(x, fake, self.alpha, self.margin_reduction)
        with tf.GradientTape() as d_tape:
            f_pos = D(x, training=True)
            f_fake = D(fake, training=True)
            f_anchor = self.anchor_features(x, anchors, y, f_pos)
            hinge = losses.mbgan_hinge(f_anchor, f_pos, f_fake, h, self.norm_eps)
            d_loss = losses.batch_mean(hinge, sample_weight)  # = losses.mbgan_discriminator_loss
        d_grads = d_tape.gradient(d_loss, D.trainable_variables)
        self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
        self.clip_discriminator()
        g_loss, g_grad_norm = self.generator_steps(x, y, sample_weight)
        return self.finish_iteration(
            d_loss=d_loss, g_loss=g_loss, margin=tf.reduce_mean(h),
            d_pos=tf.reduce_mean(losses.pairwise_norm(f_anchor, f_pos, self.norm_eps)),
            d_neg=tf.reduce_mean(losses.pairwise_norm(f_anchor, f_fake, self.norm_eps)),
            hinge_active=tf.reduce_mean(tf.cast(hinge > 0, tf.float32)), g_grad_norm=g_grad_norm)

    def generator_steps(self, x, y, sample_weight):
        """``n_gen`` G steps on Eq. 2 (6) with fresh noise each (stream ``G_STEP_SALT``), the outer x_j and y.
        Returns the last step's loss and the global norm of its gradient (MBGAN Fig. 6)."""
        D, G = self.discriminator, self.generator
        m = tf.shape(x)[0]
        g_loss = g_norm = tf.constant(0.0)
        for step in range(self.n_gen):
            index = self.iteration * self.n_gen + step
            z = latent.training_noise(self.seed, index, m, self.z_dim, self.noise, salt=latent.G_STEP_SALT)
            with tf.GradientTape() as g_tape:
                fake = G(self.generator_input(z, y), training=True)
                g_loss = losses.mbgan_generator_loss(D(x, training=True), D(fake, training=True), self.norm_eps,
                                                     sample_weight)
            g_grads = g_tape.gradient(g_loss, G.trainable_variables)
            g_norm = tf.linalg.global_norm(g_grads)
            self.g_optimizer.apply_gradients(zip(g_grads, G.trainable_variables))
        return g_loss, g_norm
