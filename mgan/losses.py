"""Loss functions as pure functions of tensors (batch first). The public, documented math of the package.

Every function accepts NumPy arrays or tensors and returns a scalar float32 tensor (per-sample helpers return [m]).
Norms are plain Euclidean norms computed as ``sqrt(sum(v**2) + norm_eps)``: the papers' norms are not squared, and
the small ``norm_eps`` (METHODS §4.1, flag ``norm_eps``) only keeps the gradient finite at 0.
"""
import tensorflow as tf

NORM_EPS = 1e-12
WA_EPS = 1e-8


def _f32(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def pairwise_norm(a, b, norm_eps=NORM_EPS):
    """Per-row Euclidean distance ||a_i - b_i||, shape [m]."""
    d = _f32(a) - _f32(b)
    return tf.sqrt(tf.reduce_sum(tf.square(d), axis=-1) + norm_eps)


def dmgan_loss_terms(real_features, fake_features, real_centers, fake_centers, weights=None, norm_eps=NORM_EPS):
    """The batch means of DMGAN's loss terms: ``(l_ip, gap, weighted_gap)`` with
    l_ip = mean_i ||f_r,i - c_r,i|| + mean_i ||f_f,i - c_f,i|| (Eq. 2), gap = mean_i ||f_f,i - f_r,i|| (-L_d, Eq. 1)
    and weighted_gap = mean_i(w_i * ||f_f,i - f_r,i||) (= gap when ``weights`` is None). Centers and weights are
    constants (stop-gradient)."""
    real_centers = tf.stop_gradient(_f32(real_centers))
    fake_centers = tf.stop_gradient(_f32(fake_centers))
    l_ip = tf.reduce_mean(pairwise_norm(real_features, real_centers, norm_eps)) + tf.reduce_mean(
        pairwise_norm(fake_features, fake_centers, norm_eps))
    per_sample_gap = pairwise_norm(fake_features, real_features, norm_eps)
    gap = tf.reduce_mean(per_sample_gap)
    weighted = gap if weights is None else tf.reduce_mean(tf.stop_gradient(_f32(weights)) * per_sample_gap)
    return l_ip, gap, weighted


def dmgan_discriminator_loss(real_features, fake_features, real_centers, fake_centers, lam, weights=None,
                             norm_eps=NORM_EPS):
    """DMGAN Eq. 5 (Eq. 8 with ``weights``): the discriminator loss L_D = L_ip + lam * L_d.

    Args:
      real_features, fake_features: [m, d] features D(x_i) and D(G(z_i)), paired by index.
      real_centers, fake_centers: [m, d] the center of each sample's class (c_{y_i} and ĉ_{fake class of i});
        treated as constants (stop-gradient), as in center loss.
      lam: λ, the weight of the discriminative loss.
      weights: optional [m] waDMGAN weights w_i (Eq. 7); None means w_i = 1 (regular DMGAN).
    Returns:
      mean_i ||f_r,i - c_r,i|| + mean_i ||f_f,i - c_f,i|| - lam * mean_i(w_i * ||f_f,i - f_r,i||).
    """
    l_ip, _, weighted_gap = dmgan_loss_terms(real_features, fake_features, real_centers, fake_centers, weights,
                                             norm_eps)
    return l_ip - tf.cast(lam, tf.float32) * weighted_gap


def dmgan_generator_loss(real_features, fake_features, norm_eps=NORM_EPS):
    """DMGAN Eq. 6: L_G = -L_d = mean_i ||f_f,i - f_r,i|| (unweighted, also for waDMGAN)."""
    return tf.reduce_mean(pairwise_norm(fake_features, real_features, norm_eps))


def adaptive_weights(real_images, fake_images, wa_eps=WA_EPS):
    """waDMGAN Eq. 7: w_i = exp(mean_j L1_j / L1_i), L1_i = sum over pixels of |G(z_i) - x_i|. Shape [m].

    The weights are a ratio, so summing or averaging over pixels gives the same w. ``wa_eps`` (METHODS §4.3)
    guards the division; there is no cap. The result carries no gradient.
    """
    real = _f32(real_images)
    fake = _f32(fake_images)
    axes = list(range(1, len(real.shape)))
    l1 = tf.reduce_sum(tf.abs(fake - real), axis=axes)
    return tf.stop_gradient(tf.exp(tf.reduce_mean(l1) / (l1 + wa_eps)))


def dcgan_discriminator_loss(real_logits, fake_logits):
    """Non-saturating GAN (DCGAN): -[log σ(D(x)) + log(1 - σ(D(G(z))))], batch mean."""
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(real_logits), real_logits)) + \
        tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(fake_logits), fake_logits))


def dcgan_generator_loss(fake_logits):
    """Non-saturating generator loss -log σ(D(G(z))), batch mean."""
    fake_logits = _f32(fake_logits)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits), fake_logits))
