"""KM-GAN (METHODS §6, **reconstructed**: the paper's formulas were lost; D12, D25–D27): an unconditional GAN whose
discriminator features are clustered by mini-batch K-Means, with a center loss between the real and fake centers.

One iteration (§6.4): draw x and z; assign every real feature to its nearest real center and every fake feature to
its nearest fake center (``fake_assign='fake_centers'``, D26) or real center (``'real_centers'``); step 1: an Adam
step of D on L_D (then clipping, D8) and an Adam step of G on L_G, features recomputed; step 2: one plain SGD step
(rate ``center_sgd_lr``; 0 skips it: KM-GAN without the center loss) of D and G together on the center loss L_c
(form R1 or R2, D12) with the sets of the first assignment, features recomputed, then clipping again; step 3:
Sculley's mini-batch K-Means update of the real centers with the real features and of the fake centers with the
fake features (:mod:`mgan.objectives.kmeans`), features recomputed. The losses are
:func:`mgan.objectives.losses.kmgan_losses` and :func:`mgan.objectives.losses.kmgan_center_loss`.

The centers start at the first iteration: K-Means++ (:func:`mgan.objectives.kmeans.kmeans_plusplus`) on the first real
batch's features; the fake centers are a copy (``center_init='copy_real'``, D26) or K-Means++ on the first fake batch
(``'kmeanspp'``); counts start at 0. Centers, counts and the "started" flag are model variables, so checkpoints
resume exactly. The SGD step has no state (plain SGD), so the center-loss optimizer needs no checkpoint.

**Reduced KM-GAN** (``kmeans_space='pixel'``, Algorithm 2; §6.4, low confidence): K-Means runs on flattened pixels
(real images for the real pixel centers, G(z) for the fake ones) and its assignments define the classes. The feature
centers that L_D, L_G and L_c use start at the features of the images K-Means++ picked and follow the same
mini-batch rule with the pixel assignments (so they share the pixel clusters' counts).
"""
import keras
import tensorflow as tf

from mgan.errors import check_choice
from mgan.models.base import GANModel
from mgan.nets import latent
from mgan.objectives import kmeans, losses

FAKE_ASSIGNS = ("fake_centers", "real_centers")  # D26
CENTER_INITS = ("copy_real", "kmeanspp")  # D26
KMEANS_SPACES = ("feature", "pixel")  # KM-GAN | reduced KM-GAN
KMEANS_REASSIGNS = ("none", "sklearn")  # Sculley's algorithm | scikit-learn MiniBatchKMeans' small-cluster reassignment
REASSIGN_SALT = 17  # the noise stream of the reassignment (with the iteration and the run seed)
KMEANS_SALT = 13  # the noise stream of the K-Means++ seeding (a pair with the run seed)


def _pixels(images):
    """Images [m, ...] as float32 rows [m, prod(...)] (the reduced variant's K-Means space)."""
    return tf.reshape(tf.cast(images, tf.float32), [tf.shape(images)[0], -1])


def _distinct(assignments, k):
    """The number of distinct classes among ``assignments`` (float32, for the metrics)."""
    return tf.reduce_sum(tf.cast(tf.math.bincount(assignments, minlength=k, maxlength=k) > 0, tf.float32))


@keras.saving.register_keras_serializable(package="mgan")
class KMGAN(GANModel):
    """KM-GAN (reconstructed). Args (besides GANModel's): k: the number of centers K; sigma: σ of the center loss;
    center_loss_form: 'R1' | 'R2' (D12); squared: squared distances (D12); reg_lambda: λ_g of the generalized terms
    (0: KM-GAN; 5: CelebA); center_sgd_lr: the SGD rate of step 2 (0: no center loss); fake_assign, center_init:
    D26; kmeans_space: 'feature' (KM-GAN) | 'pixel' (reduced KM-GAN); kmeans_reassign: 'none' (Sculley) |
    'sklearn' (scikit-learn MiniBatchKMeans' reassignment of small clusters)."""

    # real/fake_classes: distinct classes among the batch's real/fake points (first assignment): a collapse aid
    metric_names = ("d_loss", "g_loss", "center_loss", "real_cost", "fake_cost", "real_classes", "fake_classes")

    def __init__(self, generator, discriminator, *, k, sigma=0.5, center_loss_form="R1", squared=True, reg_lambda=0.0,
                 center_sgd_lr=2e-4, fake_assign="fake_centers", center_init="copy_real", kmeans_space="feature",
                 kmeans_reassign="none", **kwargs):
        check_choice("center_loss_form", center_loss_form, losses.KMGAN_CENTER_LOSS_FORMS)
        check_choice("fake_assign", fake_assign, FAKE_ASSIGNS)
        check_choice("center_init", center_init, CENTER_INITS)
        check_choice("kmeans_space", kmeans_space, KMEANS_SPACES)
        check_choice("kmeans_reassign", kmeans_reassign, KMEANS_REASSIGNS)
        if int(k) < 1 or not sigma >= 0 or not center_sgd_lr >= 0 or not reg_lambda >= 0:
            raise ValueError(f"need k >= 1 and sigma, center_sgd_lr, reg_lambda >= 0; got {k}, {sigma}, "
                             f"{center_sgd_lr}, {reg_lambda}")
        super().__init__(generator, discriminator, conditional=False, **kwargs)
        self.k, self.sigma, self.center_loss_form = int(k), float(sigma), center_loss_form
        self.squared, self.reg_lambda, self.center_sgd_lr = bool(squared), float(reg_lambda), float(center_sgd_lr)
        self.fake_assign, self.center_init, self.kmeans_space = fake_assign, center_init, kmeans_space
        self.kmeans_reassign = kmeans_reassign
        state = dict(initializer="zeros", trainable=False)
        d = int(discriminator.output.shape[-1])
        self.real_centers = self.add_weight(shape=(self.k, d), name="real_centers", **state)
        self.fake_centers = self.add_weight(shape=(self.k, d), name="fake_centers", **state)
        self.real_counts = self.add_weight(shape=(self.k,), name="real_counts", **state)
        self.fake_counts = self.add_weight(shape=(self.k,), name="fake_counts", **state)
        self.centers_started = self.add_weight(shape=(), dtype="int32", name="centers_started", **state)
        if kmeans_space == "pixel":
            p = 1
            for n in generator.output.shape[1:]:
                p *= int(n)
            self.real_pixel_centers = self.add_weight(shape=(self.k, p), name="real_pixel_centers", **state)
            self.fake_pixel_centers = self.add_weight(shape=(self.k, p), name="fake_pixel_centers", **state)
        if kmeans_reassign == "sklearn":  # samples seen since the last reassignment, real and fake set
            self.real_since_reassign = self.add_weight(shape=(), dtype="int64", name="real_since_reassign", **state)
            self.fake_since_reassign = self.add_weight(shape=(), dtype="int64", name="fake_since_reassign", **state)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "sigma": self.sigma, "center_loss_form": self.center_loss_form,
                "squared": self.squared, "reg_lambda": self.reg_lambda, "center_sgd_lr": self.center_sgd_lr,
                "fake_assign": self.fake_assign, "center_init": self.center_init, "kmeans_space": self.kmeans_space,
                "kmeans_reassign": self.kmeans_reassign}

    @property
    def uses_labels(self):
        return False

    def iteration_passes(self):
        # first pass: G fwd 1, D fwd 2; D step: G fwd 1, D fwd + weight bwd on both (6); G step: G fwd + weight bwd
        # 3, D fwd 2 + input bwd 1; center step: G fwd + weight bwd 3, D fwd + weight bwd on both 6; K-Means: G fwd
        # 1, D fwd 2.
        return {"generator": 1 + 1 + 3 + 3 + 1, "discriminator": 2 + 6 + 3 + 6 + 2}

    # ----- the K-Means state ------------------------------------------------------------------------------------
    def clustering_sets(self):
        """The (real, fake) center sets K-Means runs on: feature centers, or pixel centers (reduced KM-GAN)."""
        if self.kmeans_space == "pixel":
            return self.real_pixel_centers, self.fake_pixel_centers
        return self.real_centers, self.fake_centers

    def clustered(self, x, fake, f_r, f_f):
        """The points K-Means clusters: the features, or the flattened images (reduced KM-GAN)."""
        if self.kmeans_space == "pixel":
            return _pixels(x), _pixels(fake)
        return f_r, f_f

    def start_centers(self, x, fake, f_r, f_f):
        """K-Means++ seeding of the centers on the first batch (once; a no-op afterwards). In pixel space the
        feature centers start at the features of the images K-Means++ picked."""
        def seed_them():
            pair = latent.seed_pair(self.seed, KMEANS_SALT, dtype=tf.int32)
            p_r, p_f = self.clustered(x, fake, f_r, f_f)
            c_r, i_r = kmeans.kmeans_plusplus(p_r, self.k, pair)
            c_f, i_f = (c_r, i_r) if self.center_init == "copy_real" else kmeans.kmeans_plusplus(p_f, self.k,
                                                                                                  pair + 1)
            real_set, fake_set = self.clustering_sets()
            real_set.assign(c_r)
            fake_set.assign(c_f)
            if self.kmeans_space == "pixel":
                self.real_centers.assign(tf.gather(f_r, i_r))
                self.fake_centers.assign(tf.gather(f_r if self.center_init == "copy_real" else f_f, i_f))
            self.centers_started.assign(1)
            return tf.constant(0)

        tf.cond(self.centers_started > 0, lambda: tf.constant(0), seed_them)

    def assignments(self, x, fake, f_r, f_f):
        """k(i) and k̃(i): nearest real center of each real point; nearest fake (or real, D26) center of each fake."""
        p_r, p_f = self.clustered(x, fake, f_r, f_f)
        real_set, fake_set = self.clustering_sets()
        return kmeans.assign(p_r, real_set), kmeans.assign(p_f, fake_set if self.fake_assign == "fake_centers"
                                                           else real_set)

    # ----- one iteration ----------------------------------------------------------------------------------------
    def forward(self, x, z):
        """(G(z), D(x), D(G(z))), every network in training mode."""
        fake = self.generator(self.generator_input(z, None), training=True)
        return fake, self.discriminator(x, training=True), self.discriminator(fake, training=True)

    def features(self, x, z):
        return self.forward(x, z)[1:]

    def train_step(self, data):
        """One iteration of §6.4: the assignment, step 1 (D, G), step 2 (center loss), step 3 (K-Means)."""
        x, _, _ = self.unpack(data)
        z = self.iteration_noise(tf.shape(x)[0])
        fake, f_r, f_f = self.forward(x, z)
        self.start_centers(x, fake, f_r, f_f)
        k_r, k_f = self.assignments(x, fake, f_r, f_f)
        d_loss, g_loss = self.adversarial_steps(x, z, k_r, k_f)
        c_loss = self.center_step(x, z, k_r, k_f)
        real_cost, fake_cost = self.kmeans_step(x, z)
        return self.finish_iteration(d_loss=d_loss, g_loss=g_loss, center_loss=c_loss, real_cost=real_cost,
                                     fake_cost=fake_cost, real_classes=_distinct(k_r, self.k),
                                     fake_classes=_distinct(k_f, self.k))

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

    def center_loss(self, x, z, k_r, k_f):
        f_r, f_f = self.features(x, z)
        return losses.kmgan_center_loss(f_r, f_f, self.real_centers, self.fake_centers, k_r, k_f, self.sigma,
                                        self.center_loss_form, self.squared)

    def center_step(self, x, z, k_r, k_f):
        """Step 2: one plain SGD step of D and G on L_c with the first assignment's sets, then clipping (D8).
        With ``center_sgd_lr`` 0 (no center loss) L_c is only logged."""
        if self.center_sgd_lr == 0:
            return self.center_loss(x, z, k_r, k_f)
        variables = self.discriminator.trainable_variables + self.generator.trainable_variables
        with tf.GradientTape() as tape:
            c_loss = self.center_loss(x, z, k_r, k_f)
        for v, g in zip(variables, tape.gradient(c_loss, variables)):
            if g is not None:
                v.assign_sub(self.center_sgd_lr * tf.convert_to_tensor(g))
        self.clip_discriminator()
        return c_loss

    def kmeans_step(self, x, z):
        """Step 3: Sculley's update of the real centers with the real points and of the fake centers with the fake
        points (nearest centers of their own set); in pixel space the feature centers follow the pixel
        assignments; with ``kmeans_reassign='sklearn'``, scikit-learn's reassignment of small clusters when due.
        Returns the K-Means costs (mean squared distance to the nearest center) before the update."""
        fake, f_r, f_f = self.forward(x, z)
        points = self.clustered(x, fake, f_r, f_f)
        sets = zip(range(2), points, (f_r, f_f), self.clustering_sets(), (self.real_counts, self.fake_counts),
                   (self.real_centers, self.fake_centers))
        return tuple(self._update_set(*args) for args in sets)

    def _update_set(self, side, p, f, centers, counts, feat):
        a = kmeans.assign(p, centers)
        cost = tf.reduce_mean(tf.reduce_min(kmeans.squared_distances(p, centers), axis=1))
        new_feat = kmeans.minibatch_update(feat, counts, f, a)[0] if self.kmeans_space == "pixel" else None
        new_c, new_v = kmeans.minibatch_update(centers, counts, p, a)
        if self.kmeans_reassign == "sklearn":
            since = (self.real_since_reassign, self.fake_since_reassign)[side]
            due, new_since = kmeans.reassign_due(counts, since, tf.shape(p)[0])
            # (iteration, 1000 * seed + salt + side): the pair this stream has always drawn from
            pair = latent.seed_pair(self.iteration, self.seed, REASSIGN_SALT + side, stride=1000, dtype=tf.int32)
            rc, rv, rows, moved = kmeans.reassign_small_clusters(new_c, new_v, p, pair)
            new_c, new_v = tf.where(due, rc, new_c), tf.where(due, rv, new_v)
            if new_feat is not None:  # the reassigned feature centers take the chosen images' features
                new_feat = tf.where(tf.logical_and(due, moved)[:, None], tf.gather(f, rows), new_feat)
            since.assign(new_since)
        if new_feat is not None:
            feat.assign(new_feat)
        centers.assign(new_c)
        counts.assign(new_v)
        return cost
