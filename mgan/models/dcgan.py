"""DCGAN baseline (Radford et al.; carpedm20/DCGAN-tensorflow): non-saturating loss on a 1-logit head."""
import keras
import tensorflow as tf

from mgan.models.base import GANModel
from mgan.objectives import losses


@keras.saving.register_keras_serializable(package="mgan")
class DCGAN(GANModel):
    """One D step then ``n_gen`` G steps per iteration on the same x and z (METHODS §9).

    ``conditional=True`` feeds onehot(y) to G (z ⊕ y) and to D (constant one-hot maps; D then takes [x, onehot(y)]),
    as in carpedm20's code.
    """

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, generator, discriminator, *, conditional=False, n_gen=1, **kwargs):
        if int(n_gen) < 1:
            raise ValueError(f"n_gen must be >= 1 (generator steps per iteration), got {n_gen}")
        super().__init__(generator, discriminator, conditional=conditional, **kwargs)
        self.n_gen = int(n_gen)

    def get_config(self):
        return {**super().get_config(), "conditional": self.conditional, "n_gen": self.n_gen}

    def iteration_passes(self):
        # D step: G fwd (1), D(x) and D(G(z)) fwd + weight bwd (3 + 3); each G step: G fwd + weight bwd (3), D fwd +
        # input bwd (2).
        return {"generator": 1 + 3 * self.n_gen, "discriminator": 6 + 2 * self.n_gen}

    def discriminate(self, x, y, training=True):
        if self.conditional:
            return self.discriminator([x, tf.one_hot(y, self.num_classes)], training=training)
        return self.discriminator(x, training=training)

    def train_step(self, data):
        """One D step, then ``n_gen`` G steps, each with a fresh G forward pass on the same z."""
        x, y, sample_weight = self.unpack(data)
        g_in = self.generator_input(self.iteration_noise(tf.shape(x)[0]), y)
        D, G = self.discriminator, self.generator
        with tf.GradientTape() as d_tape:
            fake = G(g_in, training=True)
            real_logits = self.discriminate(x, y)
            fake_logits = self.discriminate(fake, y)
            d_loss = losses.dcgan_discriminator_loss(real_logits, fake_logits, sample_weight)
        d_grads = d_tape.gradient(d_loss, D.trainable_variables)
        self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
        self.clip_discriminator()
        for _ in range(self.n_gen):
            with tf.GradientTape() as g_tape:
                g_logits = self.discriminate(G(g_in, training=True), y)
                g_loss = losses.dcgan_generator_loss(g_logits, sample_weight)
            g_grads = g_tape.gradient(g_loss, G.trainable_variables)
            self.g_optimizer.apply_gradients(zip(g_grads, G.trainable_variables))
        return self.finish_iteration(d_loss=d_loss, g_loss=g_loss, d_real=tf.reduce_mean(tf.sigmoid(real_logits)),
                                     d_fake=tf.reduce_mean(tf.sigmoid(fake_logits)))
