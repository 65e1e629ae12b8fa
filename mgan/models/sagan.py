"""SAGAN baseline (Zhang et al. 2019, arXiv 1805.08318; spectral normalization: Miyato et al. 2018, arXiv 1802.05957),
on the package's backbone (METHODS §9).

One iteration: one D step on the hinge loss L_D = mean max(0, 1 - D(x)) + mean max(0, 1 + D(G(z))), then one G step
on L_G = -mean D(G(z)) with fresh noise (stream ``latent.G_STEP_SALT``). Adam with β (0, 0.9) and the two time-scale
learning rates (G 1e-4, D 4e-4) come from the registry. The networks (``mgan.nets.networks`` with ``spectral_norm=True``
and ``attn_res``) carry a self-attention block (``mgan.nets.layers.SelfAttention``) in G and in D, spectral
normalization on every conv/dense layer of both, BN in G only. Unconditional (D29).

Spectral normalization is ``keras.layers.SpectralNormalization``: in every training-mode call it runs one power
iteration (u persists across calls) and *stores* W / σ(W) in the kernel before using it, so the optimizer updates the
normalized kernel and the gradient carries no term through σ (Miyato et al. differentiate through W / σ(W)).
"""
import keras
import tensorflow as tf

from mgan.models.base import GANModel
from mgan.nets import latent
from mgan.nets.layers import SelfAttention
from mgan.objectives import losses


@keras.saving.register_keras_serializable(package="mgan")
class SAGAN(GANModel):
    """Self-attention GAN: hinge loss, 1 D step : 1 G step, 1-unit linear head."""

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "attn_gamma_g", "attn_gamma_d")

    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(generator, discriminator, conditional=False, **kwargs)

    def iteration_passes(self):
        # D step: G fwd (1), D(x) and D(G(z)) fwd + weight bwd (3 + 3); G step: G fwd + weight bwd (3), D fwd + input
        # bwd (2).
        return {"generator": 4, "discriminator": 8}

    @staticmethod
    def attention_gamma(network):
        """γ of the network's self-attention block (0 when it has none)."""
        blocks = [layer for layer in network.layers if isinstance(layer, SelfAttention)]
        return tf.identity(blocks[0].gamma.value) if blocks else tf.constant(0.0)

    def train_step(self, data):
        """One D step on the hinge loss, then one G step on -mean D(G(z))."""
        x, _, sample_weight = self.unpack(data)
        m = tf.shape(x)[0]
        D, G = self.discriminator, self.generator
        fake = G(self.iteration_noise(m), training=True)
        with tf.GradientTape() as d_tape:
            real_scores, fake_scores = D(x, training=True), D(fake, training=True)
            d_loss = losses.hinge_discriminator_loss(real_scores, fake_scores, sample_weight)
        d_grads = d_tape.gradient(d_loss, D.trainable_variables)
        self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
        self.clip_discriminator()
        z = latent.training_noise(self.seed, self.iteration, m, self.z_dim, self.noise, salt=latent.G_STEP_SALT)
        with tf.GradientTape() as g_tape:
            g_loss = losses.wgan_generator_loss(D(G(z, training=True), training=True), sample_weight)
        g_grads = g_tape.gradient(g_loss, G.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_grads, G.trainable_variables))
        return self.finish_iteration(d_loss=d_loss, g_loss=g_loss, d_real=tf.reduce_mean(real_scores),
                                     d_fake=tf.reduce_mean(fake_scores), g_grad_norm=tf.linalg.global_norm(g_grads),
                                     attn_gamma_g=self.attention_gamma(G), attn_gamma_d=self.attention_gamma(D))
