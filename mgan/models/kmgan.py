"""KM-GAN (METHODS §6, **reconstructed**: the paper's formulas were lost; D12, D25–D27): an unconditional GAN whose
discriminator features are clustered by mini-batch K-Means, with a center loss between the real and fake centers.

One iteration (§6.4): draw x and z; assign every real feature to its nearest real center and every fake feature to
its nearest fake center (``fake_assign='fake_centers'``, D26) or real center (``'real_centers'``); step 1: an Adam
step of D on L_D (then clipping, D8) and an Adam step of G on L_G, features recomputed; step 2: one plain SGD step
(rate ``center_sgd_lr``) of D and G together on the center loss L_c (form R1 or R2, D12) with the sets of the first
assignment, features recomputed, then clipping again; step 3: Sculley's mini-batch K-Means update of the real centers
with the real features and of the fake centers with the fake features (:mod:`mgan.kmeans`), features recomputed.
The losses are :func:`mgan.losses.kmgan_losses` and :func:`mgan.losses.kmgan_center_loss`.

The centers start at the first iteration: K-Means++ (:func:`mgan.kmeans.kmeans_plusplus`) on the first real batch's
features; the fake centers are a copy (``center_init='copy_real'``, D26) or K-Means++ on the first fake batch
(``'kmeanspp'``); counts start at 0. Centers, counts and the "started" flag are model variables, so checkpoints
resume exactly. The SGD step has no state (plain SGD), so the center-loss optimizer needs no checkpoint.

Not here yet (issue 12): the reduced variant (``kmeans_space='pixel'``), the registry entry and flags, the scripts.
"""
import keras
import tensorflow as tf

from mgan import kmeans, losses
from mgan.models.base import GANModel

FAKE_ASSIGNS = ("fake_centers", "real_centers")  # D26
CENTER_INITS = ("copy_real", "kmeanspp")  # D26
KMEANS_SALT = 13  # the noise stream of the K-Means++ seeding (a pair with the run seed)


@keras.saving.register_keras_serializable(package="mgan")
class KMGAN(GANModel):
    """KM-GAN (reconstructed). Args (besides GANModel's): k: the number of centers K; sigma: σ of the center loss;
    center_loss_form: 'R1' | 'R2' (D12); squared: squared distances (D12); reg_lambda: λ_g of the generalized terms
    (0: KM-GAN; 5: CelebA); center_sgd_lr: the SGD rate of step 2; fake_assign, center_init: D26."""

    metric_names = ("d_loss", "g_loss", "center_loss", "real_cost", "fake_cost")

    def __init__(self, generator, discriminator, *, k, sigma=0.5, center_loss_form="R1", squared=True, reg_lambda=0.0,
                 center_sgd_lr=2e-4, fake_assign="fake_centers", center_init="copy_real", **kwargs):
        for name, value, valid in (("center_loss_form", center_loss_form, losses.KMGAN_CENTER_LOSS_FORMS),
                                   ("fake_assign", fake_assign, FAKE_ASSIGNS), ("center_init", center_init,
                                                                                 CENTER_INITS)):
            if value not in valid:
                raise ValueError(f"unknown {name} {value!r}; valid: {list(valid)}")
        if int(k) < 1 or not sigma >= 0 or not center_sgd_lr >= 0 or not reg_lambda >= 0:
            raise ValueError(f"need k >= 1 and sigma, center_sgd_lr, reg_lambda >= 0; got {k}, {sigma}, "
                             f"{center_sgd_lr}, {reg_lambda}")
        super().__init__(generator, discriminator, conditional=False, **kwargs)
        self.k, self.sigma, self.center_loss_form = int(k), float(sigma), center_loss_form
        self.squared, self.reg_lambda, self.center_sgd_lr = bool(squared), float(reg_lambda), float(center_sgd_lr)
        self.fake_assign, self.center_init = fake_assign, center_init
        d = int(discriminator.output.shape[-1])
        state = dict(initializer="zeros", trainable=False)
        self.real_centers = self.add_weight(shape=(self.k, d), name="real_centers", **state)
        self.fake_centers = self.add_weight(shape=(self.k, d), name="fake_centers", **state)
        self.real_counts = self.add_weight(shape=(self.k,), name="real_counts", **state)
        self.fake_counts = self.add_weight(shape=(self.k,), name="fake_counts", **state)
        self.centers_started = self.add_weight(shape=(), dtype="int32", name="centers_started", **state)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "sigma": self.sigma, "center_loss_form": self.center_loss_form,
                "squared": self.squared, "reg_lambda": self.reg_lambda, "center_sgd_lr": self.center_sgd_lr,
                "fake_assign": self.fake_assign, "center_init": self.center_init}

    @property
    def uses_labels(self):
        return False

    def iteration_passes(self):
        # first pass: G fwd 1, D fwd 2; D step: D fwd + bwd on both (4); G step: G fwd + bwd 3, D fwd 2 + input bwd 1;
        # center step: G fwd + bwd 3, D fwd + bwd on both 4; K-Means: G fwd 1, D fwd 2.
        return {"generator": 1 + 3 + 3 + 1, "discriminator": 2 + 4 + 3 + 4 + 2}

    def start_centers(self, f_real, f_fake):
        """K-Means++ seeding of the centers on the first batch's features (once; a no-op afterwards)."""
        def seed_them():
            pair = tf.stack([tf.cast(self.seed, tf.int32), tf.constant(KMEANS_SALT, tf.int32)])
            c_real, _ = kmeans.kmeans_plusplus(f_real, self.k, pair)
            c_fake = c_real if self.center_init == "copy_real" else kmeans.kmeans_plusplus(f_fake, self.k, pair + 1)[0]
            self.real_centers.assign(c_real)
            self.fake_centers.assign(c_fake)
            self.centers_started.assign(1)
            return tf.constant(0)

        tf.cond(self.centers_started > 0, lambda: tf.constant(0), seed_them)

    def fake_reference(self):
        return self.fake_centers if self.fake_assign == "fake_centers" else self.real_centers

    def features(self, x, z):
        return self.discriminator(x, training=True), self.discriminator(
            self.generator(self.generator_input(z, None), training=True), training=True)

    def train_step(self, data):
        """One iteration of §6.4: the assignment, step 1 (D, G), step 2 (center loss), step 3 (K-Means)."""
        x, _, _ = self.unpack(data)
        z = self.iteration_noise(tf.shape(x)[0])
        f_r, f_f = self.features(x, z)
        self.start_centers(f_r, f_f)
        k_r = kmeans.assign(f_r, self.real_centers)
        k_f = kmeans.assign(f_f, self.fake_reference())
        d_loss, g_loss = self.adversarial_steps(x, z, k_r, k_f)
        c_loss = self.center_step(x, z, k_r, k_f)
        real_cost, fake_cost = self.kmeans_step(x, z)
        return self.finish_iteration(d_loss=d_loss, g_loss=g_loss, center_loss=c_loss, real_cost=real_cost,
                                     fake_cost=fake_cost)

    def adversarial_steps(self, x, z, k_r, k_f):
        """Step 1: Adam on L_D (D, then clipping), then Adam on L_G (G) with the updated D."""
        D, G = self.discriminator, self.generator
        kw = dict(squared=self.squared, reg_lambda=self.reg_lambda)
        with tf.GradientTape() as tape:
            d_loss, _ = losses.kmgan_losses(*self.features(x, z), self.real_centers, k_r, k_f, **kw)
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, D.trainable_variables), D.trainable_variables))
        self.clip_discriminator()
        with tf.GradientTape() as tape:
            _, g_loss = losses.kmgan_losses(*self.features(x, z), self.real_centers, k_r, k_f, **kw)
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, G.trainable_variables), G.trainable_variables))
        return d_loss, g_loss

    def center_step(self, x, z, k_r, k_f):
        """Step 2: one plain SGD step of D and G on L_c with the first assignment's sets, then clipping (D8)."""
        variables = self.discriminator.trainable_variables + self.generator.trainable_variables
        with tf.GradientTape() as tape:
            f_r, f_f = self.features(x, z)
            c_loss = losses.kmgan_center_loss(f_r, f_f, self.real_centers, self.fake_centers, k_r, k_f, self.sigma,
                                              self.center_loss_form, self.squared)
        for v, g in zip(variables, tape.gradient(c_loss, variables)):
            if g is not None:
                v.assign_sub(self.center_sgd_lr * tf.convert_to_tensor(g))
        self.clip_discriminator()
        return c_loss

    def kmeans_step(self, x, z):
        """Step 3: Sculley's update of the real centers with f^r and of the fake centers with f^f (nearest centers
        of their own set). Returns the K-Means costs (mean squared distance to the nearest center) before it."""
        f_r, f_f = self.features(x, z)
        costs = []
        for f, centers, counts in ((f_r, self.real_centers, self.real_counts),
                                   (f_f, self.fake_centers, self.fake_counts)):
            a = kmeans.assign(f, centers)
            costs.append(tf.reduce_mean(tf.reduce_min(kmeans.squared_distances(f, centers), axis=1)))
            new_c, new_v = kmeans.minibatch_update(centers, counts, f, a)
            centers.assign(new_c)
            counts.assign(new_v)
        return costs[0], costs[1]

