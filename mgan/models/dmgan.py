"""DMGAN (Eqs. 1-6, Algorithm 1), waDMGAN (Eqs. 7-8, Algorithm 2) and DMGAN-f (γ = 0)."""
import keras
import tensorflow as tf

from mgan.errors import check_choice
from mgan.models.base import GANModel
from mgan.objectives import losses
from mgan.objectives import centers as centers_lib

LABEL_MODES = ("conditional", "inherit", "single_fake_center", "unlabeled")
CENTER_FEATURES = ("pre_update", "recomputed")
D_BATCHES = ("separate", "joint")  # METHODS D13: D(x) and D(G(z)) as two calls, or one call on the concatenation


@keras.saving.register_keras_serializable(package="mgan")
class DMGAN(GANModel):
    """Discriminative Metric-based GAN.

    Args (besides GANModel's):
      lam: λ of Eq. 5.  gamma: center update ratio γ (0 = DMGAN-f).  weight_adaption: waDMGAN (Eq. 7, D6).
      label_mode: METHODS D2 / §4.4 ('conditional' makes G conditional).  center_features: D7.
      norm_eps, wa_eps: see mgan.objectives.losses.  ip_norm: distance of L_ip, 'squared' (D32) or 'plain' (Eq. 2 as
      printed). wa_normalize: waDMGAN weights divided by their batch mean (D33).  d_batches: D13, real and fake batches
      through D separately or jointly (one BN batch of 2m).  n_gen: G steps per iteration (1: Algorithm 1; 2:
      carpedm20/DCGAN-tensorflow's schedule, D37); the extra steps take a fresh G forward pass on the same z.
    The real and fake centers are non-trainable variables of the model, so they are saved and checkpointed with it;
    their dimension is D's output dimension.
    """

    metric_names = ("d_loss", "g_loss", "l_ip", "l_d", "real_center_norm", "fake_center_norm", "w_max")

    def __init__(self, generator, discriminator, *, lam, gamma, weight_adaption=False, label_mode="conditional",
                 center_features="pre_update", norm_eps=losses.NORM_EPS, wa_eps=losses.WA_EPS, ip_norm="squared",
                 wa_normalize=False, d_batches="separate", n_gen=1, **kwargs):
        check_choice("label_mode", label_mode, LABEL_MODES)
        check_choice("center_features", center_features, CENTER_FEATURES)
        check_choice("ip_norm", ip_norm, losses.IP_NORMS)
        check_choice("d_batches", d_batches, D_BATCHES)
        if int(n_gen) < 1:
            raise ValueError(f"n_gen must be >= 1 (generator steps per iteration), got {n_gen}")
        super().__init__(generator, discriminator, conditional=(label_mode == "conditional"), **kwargs)
        self.lam = float(lam)
        self.gamma = float(gamma)
        self.weight_adaption = bool(weight_adaption)
        self.label_mode = label_mode
        self.center_features = center_features
        self.norm_eps = float(norm_eps)
        self.wa_eps = float(wa_eps)
        self.ip_norm = ip_norm
        self.wa_normalize = bool(wa_normalize)
        self.d_batches = d_batches
        self.n_gen = int(n_gen)
        d = int(discriminator.output.shape[-1])
        k_real = 1 if label_mode == "unlabeled" else self.num_classes
        k_fake = 1 if label_mode in ("unlabeled", "single_fake_center") else self.num_classes
        self.real_centers = self.add_weight(shape=(k_real, d), initializer="zeros", trainable=False,
                                            name="real_centers")
        self.fake_centers = self.add_weight(shape=(k_fake, d), initializer="zeros", trainable=False,
                                            name="fake_centers")

    def get_config(self):
        return {**super().get_config(), "lam": self.lam, "gamma": self.gamma, "weight_adaption": self.weight_adaption,
                "label_mode": self.label_mode, "center_features": self.center_features, "norm_eps": self.norm_eps,
                "wa_eps": self.wa_eps, "ip_norm": self.ip_norm, "wa_normalize": self.wa_normalize,
                "d_batches": self.d_batches, "n_gen": self.n_gen}

    @property
    def uses_labels(self):
        return self.label_mode != "unlabeled"

    def iteration_passes(self):
        # G fwd + weight bwd (3); D step: D(x), D(G(z)) fwd + weight bwd (3 + 3); G step: D(x) fwd (1), D(G(z))
        # fwd + input bwd (2); each extra G step: G fwd + weight bwd (3), D(x) fwd (1), D(G(z)) fwd + input bwd (2).
        extra = self.n_gen - 1
        return {"generator": 3 + 3 * extra, "discriminator": 9 + 3 * extra}

    def center_labels(self, y):
        """(real class, fake class) of every sample under the label mode (D2)."""
        zeros = tf.zeros_like(y)
        real = zeros if self.label_mode == "unlabeled" else y
        fake = zeros if self.label_mode in ("unlabeled", "single_fake_center") else y
        return real, fake

    def features(self, x, fake, training=True):
        """(D(x), D(fake)): two calls (D13 default) or one call on the concatenated batch ('joint')."""
        D = self.discriminator
        if self.d_batches == "joint":
            f = D(tf.concat([x, fake], axis=0), training=training)
            return f[:tf.shape(x)[0]], f[tf.shape(x)[0]:]
        return D(x, training=training), D(fake, training=training)

    def train_step(self, data):
        """One iteration of Algorithm 1 (Algorithm 2 with weight adaption): D step, G step, center update."""
        x, y, sample_weight = self.unpack(data)
        z = self.iteration_noise(tf.shape(x)[0])
        y_real, y_fake = self.center_labels(y)
        g_in = self.generator_input(z, y)
        D, G = self.discriminator, self.generator
        with tf.GradientTape() as g_tape:
            fake = G(g_in, training=True)
            # D step (Eq. 5 / Eq. 8)
            with tf.GradientTape() as d_tape:
                f_real, f_fake = self.features(x, fake)
                c_real = tf.gather(self.real_centers, y_real)
                c_fake = tf.gather(self.fake_centers, y_fake)
                w = losses.adaptive_weights(x, fake, self.wa_eps, self.wa_normalize) if self.weight_adaption else None
                l_ip, gap, weighted_gap = losses.dmgan_loss_terms(f_real, f_fake, c_real, c_fake, w, self.norm_eps,
                                                                  self.ip_norm, sample_weight)
                d_loss = l_ip - self.lam * weighted_gap  # Eq. 5 / Eq. 8 (= losses.dmgan_discriminator_loss)
            d_grads = d_tape.gradient(d_loss, D.trainable_variables)
            self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
            self.clip_discriminator()
            # G step (Eq. 6) with the updated D, reusing this iteration's G forward pass (θ_G unchanged so far)
            g_real, g_fake = self.features(x, fake)
            g_loss = losses.dmgan_generator_loss(g_real, g_fake, self.norm_eps, sample_weight)
        g_grads = g_tape.gradient(g_loss, G.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_grads, G.trainable_variables))
        for _ in range(self.n_gen - 1):  # D37: further G steps on the same z, each with a fresh G forward pass
            with tf.GradientTape() as g_tape:
                g_real, g_fake = self.features(x, G(g_in, training=True))
                g_loss = losses.dmgan_generator_loss(g_real, g_fake, self.norm_eps, sample_weight)
            g_grads = g_tape.gradient(g_loss, G.trainable_variables)
            self.g_optimizer.apply_gradients(zip(g_grads, G.trainable_variables))
        self.update_centers(x, g_in, f_real, f_fake, y_real, y_fake, sample_weight)
        return self.finish_iteration(
            d_loss=d_loss, g_loss=g_loss, l_ip=l_ip, l_d=-gap,
            real_center_norm=tf.reduce_mean(tf.norm(self.real_centers, axis=1)),
            fake_center_norm=tf.reduce_mean(tf.norm(self.fake_centers, axis=1)),
            w_max=tf.reduce_max(w) if w is not None else tf.constant(1.0))

    def update_centers(self, x, g_in, f_real, f_fake, y_real, y_fake, sample_weight):
        """Eqs. 3-4, after both steps (Algorithm 1), with this iteration's features or recomputed ones (D7)."""
        if self.gamma == 0.0:
            return
        if self.center_features == "recomputed":
            f_real, f_fake = self.features(x, self.generator(g_in, training=False), training=False)
        self.real_centers.assign(centers_lib.update_centers(self.real_centers, f_real, y_real, self.gamma,
                                                            sample_weight))
        self.fake_centers.assign(centers_lib.update_centers(self.fake_centers, f_fake, y_fake, self.gamma,
                                                            sample_weight))
