"""Loss functions as pure functions of tensors (batch first). The public, documented math of the package.

Every function accepts NumPy arrays or tensors and returns a scalar float32 tensor (per-sample helpers return [m]).
Batch reductions are means; an optional ``sample_weight`` [m] (Keras' per-example weights, the third element of a
``fit`` batch) multiplies each example's term before the mean, as Keras' default loss reduction does, so weights of
one give the papers' losses exactly. Example i of the real batch and fake i form pair i and share its weight.
Plain norms are Euclidean norms computed as ``sqrt(sum(v**2) + norm_eps)``; the small ``norm_eps`` (METHODS §4.1,
flag ``norm_eps``) only keeps the gradient finite at 0. DMGAN's identity-preserving loss L_ip uses squared distances
by default (METHODS D32, ``ip_norm='squared'``); L_d and L_G are always plain norms.
"""
import tensorflow as tf

from mgan.objectives import centers as centers_lib

NORM_EPS = 1e-12
WA_EPS = 1e-8
IP_NORMS = ("squared", "plain")  # METHODS D32: the distance of L_ip (Eq. 2); 'plain' is Eq. 2 as printed


def _f32(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def batch_mean(values, sample_weight=None):
    """mean_i values_i, or mean_i(sample_weight_i * values_i) (Keras' 'sum_over_batch_size' reduction)."""
    values = _f32(values)
    if sample_weight is None:
        return tf.reduce_mean(values)
    return tf.reduce_mean(tf.stop_gradient(_f32(sample_weight)) * values)


def pairwise_norm(a, b, norm_eps=NORM_EPS):
    """Per-row Euclidean distance ||a_i - b_i||, shape [m]."""
    d = _f32(a) - _f32(b)
    return tf.sqrt(tf.reduce_sum(tf.square(d), axis=-1) + norm_eps)


def squared_distance(a, b):
    """Per-row squared Euclidean distance ||a_i - b_i||², shape [m] (the center-loss form, METHODS D32)."""
    d = _f32(a) - _f32(b)
    return tf.reduce_sum(tf.square(d), axis=-1)


def all_pairs_squared_distance(a, b):
    """‖a_i − b_j‖² for every pair of rows, shape [m, k] (computed from the differences, exact at 0)."""
    a, b = _f32(a), _f32(b)
    return tf.reduce_sum(tf.square(a[:, None, :] - b[None, :, :]), axis=-1)


def ip_distance(features, centers, ip_norm="squared", norm_eps=NORM_EPS):
    """Per-sample L_ip distance of each feature to its center: ||f_i - c_i||² ('squared', D32) or ||f_i - c_i||
    ('plain', Eq. 2 as printed). Shape [m]."""
    if ip_norm == "squared":
        return squared_distance(features, centers)
    if ip_norm == "plain":
        return pairwise_norm(features, centers, norm_eps)
    raise ValueError(f"unknown ip_norm {ip_norm!r}; valid: {list(IP_NORMS)}")


def _check_pairs(real_features, fake_features, real_centers, fake_centers, weights):
    shapes = [t.shape for t in (real_features, fake_features, real_centers, fake_centers)]
    if any(s.rank != 2 or not s.is_compatible_with(shapes[0]) for s in shapes):
        raise ValueError(f"features and centers must all be [m, d] and paired by index; got shapes "
                         f"{[tuple(s) for s in shapes]}")
    if weights is not None and not weights.shape.is_compatible_with(shapes[0][:1]):
        raise ValueError(f"weights must have shape [m] = {tuple(shapes[0][:1])}, got {tuple(weights.shape)}")


def dmgan_loss_terms(real_features, fake_features, real_centers, fake_centers, weights=None, norm_eps=NORM_EPS,
                     ip_norm="squared", sample_weight=None):
    """The batch means of DMGAN's loss terms: ``(l_ip, gap, weighted_gap)``.

    l_ip = mean_i dist(f_r,i, c_r,i) + mean_i dist(f_f,i, c_f,i) (Eq. 2; dist per ``ip_norm``: squared by D32,
    plain as printed), gap = mean_i ||f_f,i - f_r,i|| (-L_d, Eq. 1, plain norm) and
    weighted_gap = mean_i(w_i * ||f_f,i - f_r,i||) (Eq. 8; = gap when ``weights`` is None). Centers and weights are
    constants (stop-gradient). Shapes: features and centers [m, d], weights and sample_weight [m].
    """
    real_features, fake_features = _f32(real_features), _f32(fake_features)
    real_centers = tf.stop_gradient(_f32(real_centers))
    fake_centers = tf.stop_gradient(_f32(fake_centers))
    weights = None if weights is None else tf.stop_gradient(_f32(weights))
    _check_pairs(real_features, fake_features, real_centers, fake_centers, weights)
    l_ip = batch_mean(ip_distance(real_features, real_centers, ip_norm, norm_eps), sample_weight) + batch_mean(
        ip_distance(fake_features, fake_centers, ip_norm, norm_eps), sample_weight)
    per_sample_gap = pairwise_norm(fake_features, real_features, norm_eps)
    gap = batch_mean(per_sample_gap, sample_weight)
    weighted = gap if weights is None else batch_mean(weights * per_sample_gap, sample_weight)
    return l_ip, gap, weighted


def dmgan_discriminator_loss(real_features, fake_features, real_centers, fake_centers, lam, weights=None,
                             ip_norm="squared", norm_eps=NORM_EPS):
    """DMGAN Eq. 5 (Eq. 8 with ``weights``): the discriminator loss L_D = L_ip + lam * L_d.

    Args:
      real_features, fake_features: [m, d] features D(x_i) and D(G(z_i)), paired by index.
      real_centers, fake_centers: [m, d] the center of each sample's class (c_{y_i} and ĉ_{fake class of i});
        treated as constants (stop-gradient), as in center loss.
      lam: λ, the weight of the discriminative loss.
      weights: optional [m] waDMGAN weights w_i (Eq. 7); None means w_i = 1 (regular DMGAN).
      ip_norm: 'squared' (METHODS D32, default: the center-loss form ||f - c||²) or 'plain' (Eq. 2 as printed).
    Returns:
      mean_i dist(f_r,i, c_r,i) + mean_i dist(f_f,i, c_f,i) - lam * mean_i(w_i * ||f_f,i - f_r,i||).
    """
    l_ip, _, weighted_gap = dmgan_loss_terms(real_features, fake_features, real_centers, fake_centers, weights,
                                             norm_eps, ip_norm)
    return l_ip - tf.cast(lam, tf.float32) * weighted_gap


def dmgan_generator_loss(real_features, fake_features, norm_eps=NORM_EPS, sample_weight=None):
    """DMGAN Eq. 6: L_G = -L_d = mean_i ||f_f,i - f_r,i|| (without the waDMGAN weights, also for waDMGAN)."""
    return batch_mean(pairwise_norm(fake_features, real_features, norm_eps), sample_weight)


def adaptive_weights(real_images, fake_images, wa_eps=WA_EPS, normalize=False):
    """waDMGAN Eq. 7: w_i = exp(mean_j L1_j / L1_i), L1_i = sum over pixels of |G(z_i) - x_i|. Shape [m].

    The weights are a ratio, so summing or averaging over pixels gives the same w. ``wa_eps`` (METHODS §4.3)
    guards the division; there is no cap. With ``normalize`` (METHODS D33, flag ``wa_normalize``) the weights are
    divided by their batch mean, so mean_i w_i = 1 and λ keeps DMGAN's scale (Eq. 7 as printed has mean_i w_i ≥ e).
    The result carries no gradient.
    """
    real = _f32(real_images)
    fake = _f32(fake_images)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake images must have the same shape, got {real.shape} and {fake.shape}")
    axes = list(range(1, len(real.shape)))
    l1 = tf.reduce_sum(tf.abs(fake - real), axis=axes)
    w = tf.exp(tf.reduce_mean(l1) / (l1 + wa_eps))
    if normalize:
        w = w / tf.reduce_mean(w)
    return tf.stop_gradient(w)


def dcgan_discriminator_loss(real_logits, fake_logits, sample_weight=None):
    """Non-saturating GAN (DCGAN): -[log σ(D(x)) + log(1 - σ(D(G(z))))], batch mean. Logits [m] or [m, 1]."""
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    real = tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(real_logits), real_logits)
    fake = tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(fake_logits), fake_logits)
    if sample_weight is None:
        return tf.reduce_mean(real) + tf.reduce_mean(fake)
    return batch_mean(tf.reshape(real, [-1]), sample_weight) + batch_mean(tf.reshape(fake, [-1]), sample_weight)


def dcgan_generator_loss(fake_logits, sample_weight=None):
    """Non-saturating generator loss -log σ(D(G(z))), batch mean. Logits [m] or [m, 1]."""
    fake_logits = _f32(fake_logits)
    loss = tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits), fake_logits)
    if sample_weight is None:
        return tf.reduce_mean(loss)
    return batch_mean(tf.reshape(loss, [-1]), sample_weight)


MARGIN_REDUCTIONS = ("mean", "sum")  # METHODS D9: the pixel reduction of MBGAN's ||x_j - G(z)||_1 (Eq. 4)


def _check_same_rows(names, tensors):
    shapes = [t.shape for t in tensors]
    if any(s.rank != 2 or not s.is_compatible_with(shapes[0]) for s in shapes):
        raise ValueError(f"{', '.join(names)} must all be [m, K] and paired by index; got shapes "
                         f"{[tuple(s) for s in shapes]}")


def mbgan_margin(x, fake, alpha, reduction="mean"):
    """MBGAN Eq. 4: the data-dependent margin h_i = α · ||x_j,i - G(z_i)||_1, per sample, shape [m].

    ``reduction`` is the pixel reduction of the L1 norm (METHODS D9): 'mean' over all pixels and channels (the
    package default) or 'sum' (the L1 norm as printed). h enters Eqs. 1 and 5 as a constant: it carries no gradient
    (stop-gradient), neither to D nor to G.
    """
    if reduction not in MARGIN_REDUCTIONS:
        raise ValueError(f"unknown margin reduction {reduction!r}; valid: {list(MARGIN_REDUCTIONS)}")
    x, fake = _f32(x), _f32(fake)
    if not x.shape.is_compatible_with(fake.shape) or x.shape.rank is None or x.shape.rank < 2:
        raise ValueError(f"real and fake images must have the same shape [m, ...], got {x.shape} and {fake.shape}")
    axes = list(range(1, x.shape.rank))
    gap = tf.abs(x - fake)
    l1 = tf.reduce_mean(gap, axis=axes) if reduction == "mean" else tf.reduce_sum(gap, axis=axes)
    return tf.stop_gradient(tf.cast(alpha, tf.float32) * l1)


def mbgan_hinge(f_anchor, f_positive, f_fake, margin, norm_eps=NORM_EPS):
    """MBGAN Eq. 1 (Eq. 5) per triplet: max(0, h_i + ||f_a,i - f_p,i|| - ||f_a,i - f_fake,i||), shape [m].

    Plain (non-squared) Euclidean distances in the K-dimensional feature space (Eq. 3); ``margin`` [m] is a constant.
    """
    f_anchor, f_positive, f_fake = _f32(f_anchor), _f32(f_positive), _f32(f_fake)
    _check_same_rows(("f_anchor", "f_positive", "f_fake"), (f_anchor, f_positive, f_fake))
    margin = tf.stop_gradient(_f32(margin))
    if not margin.shape.is_compatible_with(f_anchor.shape[:1]):
        raise ValueError(f"margin must have shape [m] = {tuple(f_anchor.shape[:1])}, got {tuple(margin.shape)}")
    d_pos = pairwise_norm(f_anchor, f_positive, norm_eps)
    d_neg = pairwise_norm(f_anchor, f_fake, norm_eps)
    return tf.nn.relu(margin + d_pos - d_neg)


def mbgan_discriminator_loss(f_anchor, f_positive, f_fake, margin, norm_eps=NORM_EPS, sample_weight=None):
    """MBGAN Eq. 1 (Eq. 5 for the conditional model): L_D = mean_i max(0, h_i + d(x_i, x_j) - d(x_i, G(z))).

    Args:
      f_anchor, f_positive, f_fake: [m, K] features D(x_i) (real anchor), D(x_j) (real positive) and D(G(z))
        (fake negative), triplet i in row i.
      margin: [m] h_i of Eq. 4 (see :func:`mbgan_margin`); a constant.
      sample_weight: optional [m] per-triplet weights of the batch mean.
    """
    return batch_mean(mbgan_hinge(f_anchor, f_positive, f_fake, margin, norm_eps), sample_weight)


def mbgan_generator_loss(f_real, f_fake, norm_eps=NORM_EPS, sample_weight=None):
    """MBGAN Eq. 2 (Eq. 6): L_G = mean_i ||D(x_j,i) - D(G(z_i))|| (plain norm, Eq. 3). Shapes [m, K]."""
    f_real, f_fake = _f32(f_real), _f32(f_fake)
    _check_same_rows(("f_real", "f_fake"), (f_real, f_fake))
    return batch_mean(pairwise_norm(f_real, f_fake, norm_eps), sample_weight)


# ----- baselines (METHODS §9) -----------------------------------------------------------------------------------------
def _scores(name, scores):
    """Critic outputs as a [m] vector: accepts [m] or [m, 1]."""
    scores = _f32(scores)
    if scores.shape.rank == 2 and scores.shape[-1] == 1:
        scores = scores[:, 0]
    if scores.shape.rank != 1:
        raise ValueError(f"{name} must be critic outputs of shape [m] or [m, 1], got {tuple(scores.shape)}")
    return scores


def _weighted_mean(name, scores, sample_weight):
    return batch_mean(_scores(name, scores), sample_weight)


def wgan_critic_loss(real_scores, fake_scores, sample_weight=None):
    """WGAN critic loss (Arjovsky et al. 2017, Algorithm 1, line 5, as a loss to minimise):
    L_D = mean_i D(G(z_i)) - mean_i D(x_i). Its negative estimates the Wasserstein-1 distance (up to the Lipschitz
    constant). martinarjovsky/WassersteinGAN minimises the opposite sign, an equivalent choice. Scores [m] or [m, 1];
    the two batches may differ in size when ``sample_weight`` is None."""
    return (_weighted_mean("fake_scores", fake_scores, sample_weight) -
            _weighted_mean("real_scores", real_scores, sample_weight))


def wgan_generator_loss(fake_scores, sample_weight=None):
    """WGAN / WGAN-GP / SAGAN generator loss (Arjovsky et al. Algorithm 1, line 10; Zhang et al. Eq. 4):
    L_G = -mean_i D(G(z_i)). Scores [m] or [m, 1]."""
    return -_weighted_mean("fake_scores", fake_scores, sample_weight)


def interpolates(real, fake, alpha):
    """x̂_i = α_i x_i + (1 - α_i) x̃_i (Gulrajani et al. 2017, Algorithm 1, line 6), α of shape [m] broadcast over
    each example's remaining axes."""
    real, fake, alpha = _f32(real), _f32(fake), _f32(alpha)
    if real.shape.rank is None or real.shape.rank < 2 or not real.shape.is_compatible_with(fake.shape):
        raise ValueError(f"real and fake must be batches of the same shape [m, ...], got {tuple(real.shape)} and "
                         f"{tuple(fake.shape)}")
    if alpha.shape.rank != 1 or not alpha.shape.is_compatible_with(real.shape[:1]):
        raise ValueError(f"alpha must hold one mixing weight per example, shape [m] = {tuple(real.shape[:1])}, got "
                         f"{tuple(alpha.shape)}")
    alpha = tf.reshape(alpha, [-1] + [1] * (real.shape.rank - 1))
    return alpha * real + (1.0 - alpha) * fake


def gradient_penalty(critic, real, fake, alpha, norm_eps=NORM_EPS, sample_weight=None):
    """The WGAN-GP gradient penalty before its weight λ: mean_i (||∇_x̂ D(x̂_i)||₂ - 1)².

    Gulrajani et al. 2017 ("Improved Training of Wasserstein GANs", arXiv 1704.00028), Eq. 3:
    L = E[D(x̃)] - E[D(x)] + λ E_x̂[(||∇_x̂ D(x̂)||₂ - 1)²], with x̂ = α x + (1 - α) x̃ and α ~ U[0, 1] per sample
    (Algorithm 1, lines 4-7). The norm is sqrt(Σ g² + ``norm_eps``) over all of an example's axes (the ε inside the
    root keeps the gradient finite at g = 0).

    Args:
      critic: a callable mapping a batch [m, ...] to scores [m] or [m, 1] (e.g. ``lambda v: D(v, training=True)``).
        Each score must depend on its own example only (no batch normalization), so that the gradient of the summed
        scores is the per-example gradient.
      real, fake: [m, ...] real batch x and generated batch x̃.
      alpha: [m] mixing weights.
    Returns a scalar; called under a ``tf.GradientTape`` it is differentiable w.r.t. the critic's weights (the inner
    gradient is taken with a nested tape).
    """
    x_hat = interpolates(real, fake, alpha)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        total = tf.reduce_sum(_scores("critic(x_hat)", critic(x_hat)))
    grads = tape.gradient(total, x_hat)
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, x_hat.shape.rank))) + norm_eps)
    return batch_mean(tf.square(norms - 1.0), sample_weight)


def hinge_discriminator_loss(real_scores, fake_scores, sample_weight=None):
    """SAGAN hinge loss (Zhang et al. 2019, Eq. 4; Lim & Ye 2017): L_D = mean_i max(0, 1 - D(x_i)) +
    mean_i max(0, 1 + D(G(z_i))). Scores [m] or [m, 1]."""
    real = tf.nn.relu(1.0 - _scores("real_scores", real_scores))
    fake = tf.nn.relu(1.0 + _scores("fake_scores", fake_scores))
    return batch_mean(real, sample_weight) + batch_mean(fake, sample_weight)


# ----------------------------------------------------------------------------------------------------------------
# Deep metric learning for classifiers: the IE loss (METHODS §7, D15, reconstructed) and Wen et al.'s center loss

IE_PROJECTIONS = ("gaussian_kernel", "exp_elementwise", "identity")  # METHODS §7.2 `ie_projection`


def _check_class_inputs(features, labels, centers):
    if features.shape.rank != 2 or centers.shape.rank != 2 or labels.shape.rank != 1:
        raise ValueError(f"features must be [m, d], labels [m] and centers [C, d]; got shapes "
                         f"{tuple(features.shape)}, {tuple(labels.shape)}, {tuple(centers.shape)}")
    if not features.shape[1:].is_compatible_with(centers.shape[1:]) or \
            not features.shape[:1].is_compatible_with(labels.shape):
        raise ValueError(f"features [m, d], labels [m] and centers [C, d] disagree: shapes {tuple(features.shape)}, "
                         f"{tuple(labels.shape)}, {tuple(centers.shape)}")


def ie_distances(features, centers, projection="gaussian_kernel", bandwidth=1.0):
    """d_i,j = dist_φ(f_i, c_j) of every feature to every center, shape [m, C] (METHODS §7.2, reconstructed).

    'gaussian_kernel' (default): the squared distance in the feature space of the Gaussian kernel,
    2 − 2·exp(−‖f − c‖² / (2 s²)), bounded in [0, 2] (s = ``bandwidth``); 'exp_elementwise': ‖exp(f) − exp(c)‖²;
    'identity': ‖f − c‖² (ablation).
    """
    f, c = _f32(features), _f32(centers)
    if projection == "exp_elementwise":
        f, c = tf.exp(f), tf.exp(c)
    elif projection not in IE_PROJECTIONS:
        raise ValueError(f"unknown IE projection {projection!r}; valid: {list(IE_PROJECTIONS)}")
    sq = all_pairs_squared_distance(f, c)
    if projection == "gaussian_kernel":
        if not bandwidth > 0:
            raise ValueError(f"the Gaussian-kernel bandwidth must be > 0, got {bandwidth}")
        return 2.0 - 2.0 * tf.exp(-sq / (2.0 * float(bandwidth) ** 2))
    return sq


def ie_hinge(features, labels, centers, margin=0.5, projection="gaussian_kernel", bandwidth=1.0):
    """Per-sample IE hinge max(0, margin + d_i,y_i − (1/(C−1)) Σ_{j≠y_i} d_i,j), shape [m] (METHODS §7.2, D15).

    Every class center enters the mean over the other classes, whether or not its class is in the batch.
    """
    f, c = _f32(features), _f32(centers)
    y = tf.cast(tf.convert_to_tensor(labels), tf.int32)
    _check_class_inputs(f, y, c)
    n_classes = c.shape[0] if c.shape[0] is not None else tf.shape(c)[0]
    d = ie_distances(f, c, projection, bandwidth)
    own = tf.gather(d, y, axis=1, batch_dims=1)
    mean_other = (tf.reduce_sum(d, axis=1) - own) / tf.cast(n_classes - 1, tf.float32)
    return tf.nn.relu(float(margin) + own - mean_other)


def ie_loss(features, labels, centers, margin=0.5, projection="gaussian_kernel", bandwidth=1.0, sample_weight=None):
    """L_IE = batch mean of :func:`ie_hinge` (METHODS §7.2; before the weight w of L_total = CE + w·L_IE)."""
    return batch_mean(ie_hinge(features, labels, centers, margin, projection, bandwidth), sample_weight)


def center_loss(features, labels, centers, sample_weight=None):
    """Wen et al. (2016) center loss, batch mean of ½‖f_i − c_{y_i}‖² (their Eq. 2 divided by the batch size, as
    their implementation does). Wen et al.'s centers move by :func:`mgan.objectives.centers.update_centers`, not by this
    loss's gradient (the caller holds them in a non-trainable variable)."""
    f, c = _f32(features), _f32(centers)
    y = tf.cast(tf.convert_to_tensor(labels), tf.int32)
    _check_class_inputs(f, y, c)
    return batch_mean(0.5 * squared_distance(f, tf.gather(c, y)), sample_weight)


# ----------------------------------------------------------------------------------------------------------------
# KM-GAN (METHODS §6.3, reconstructed: the paper's formulas were lost; D12, D26)

KMGAN_CENTER_LOSS_FORMS = ("R1", "R2")


def kmgan_dist(a, b, squared=True, norm_eps=NORM_EPS):
    """Per-row dist(a_i, b_i): ‖a − b‖² (``squared``, D12's default, the K-Means cost) or ‖a − b‖."""
    return squared_distance(a, b) if squared else pairwise_norm(a, b, norm_eps)


def _class_means(features, assignments, k):
    """(mean feature of each of the ``k`` sets [k, d] (0 for an empty set), set sizes N_k [k])."""
    a = tf.cast(tf.convert_to_tensor(assignments), tf.int32)
    n = tf.math.unsorted_segment_sum(tf.ones_like(a, tf.float32), a, k)
    return tf.math.unsorted_segment_sum(features, a, k) / tf.maximum(n, 1.0)[:, None], n


def kmgan_center_loss(real_features, fake_features, real_centers, fake_centers, real_assign, fake_assign, sigma,
                      form="R1", squared=True):
    """KM-GAN's center loss L_c (METHODS §6.3), differentiable in the features (the centers are constants).

    R1: c̃_k = c_k − σ Σ_{i∈I_k}(c_k − f_i)/(1 + N_k) for the real and the fake centers (DMGAN's Eqs. 3–4 rule, kept
    differentiable), L_c = (1/K) Σ_k dist(c̃^r_k, c̃^f_k). R2: L_c = σ Σ_k dist(mean of I^r_k, mean of I^f_k) over the
    k whose real and fake sets are both non-empty.
    """
    fr, ff = _f32(real_features), _f32(fake_features)
    cr, cf = tf.stop_gradient(_f32(real_centers)), tf.stop_gradient(_f32(fake_centers))
    _check_class_inputs(fr, tf.convert_to_tensor(real_assign), cr)
    _check_class_inputs(ff, tf.convert_to_tensor(fake_assign), cf)
    if form == "R1":  # DMGAN's Eqs. 3–4 rule on the batch, differentiable in the features
        new_r = centers_lib.update_centers(cr, fr, real_assign, sigma, stop_gradient=False)
        new_f = centers_lib.update_centers(cf, ff, fake_assign, sigma, stop_gradient=False)
        return tf.reduce_mean(kmgan_dist(new_r, new_f, squared))
    if form == "R2":
        k = tf.shape(cr)[0]
        (mr, nr), (mf, nf) = _class_means(fr, real_assign, k), _class_means(ff, fake_assign, k)
        both = tf.logical_and(nr > 0, nf > 0)
        return float(sigma) * tf.reduce_sum(tf.where(both, kmgan_dist(mr, mf, squared), 0.0))
    raise ValueError(f"unknown center_loss_form {form!r}; valid: {list(KMGAN_CENTER_LOSS_FORMS)}")


def kmgan_losses(real_features, fake_features, real_centers, real_assign, fake_assign, squared=True, reg_lambda=0.0):
    """(L_D, L_G) of KM-GAN (METHODS §6.3, Eqs. 5–6 reconstructed, with the generalized terms when ``reg_lambda``
    > 0). C_r[i] = c^r_{k(i)}, C_f[i] = c^r_{k̃(i)} — both real centers, held constant (D26):
    L_D = mean dist(f^r, C_r) − mean dist(f^f, C_f) + λ_g·L_intra, L_G = mean dist(f^f, C_f) + λ_g·L_inter, with
    L_intra = mean dist(f^r, μ_r) + mean dist(f^f, μ_f) and L_inter = dist(μ_r, μ_f) (μ: batch means)."""
    fr, ff = _f32(real_features), _f32(fake_features)
    c = tf.stop_gradient(_f32(real_centers))
    _check_class_inputs(fr, tf.convert_to_tensor(real_assign), c)
    _check_class_inputs(ff, tf.convert_to_tensor(fake_assign), c)
    c_r = tf.gather(c, tf.cast(real_assign, tf.int32))
    c_f = tf.gather(c, tf.cast(fake_assign, tf.int32))
    l_g = tf.reduce_mean(kmgan_dist(ff, c_f, squared))
    l_d = tf.reduce_mean(kmgan_dist(fr, c_r, squared)) - l_g
    if reg_lambda:
        mu_r, mu_f = tf.reduce_mean(fr, 0, keepdims=True), tf.reduce_mean(ff, 0, keepdims=True)
        intra = tf.reduce_mean(kmgan_dist(fr, tf.broadcast_to(mu_r, tf.shape(fr)), squared)) + \
            tf.reduce_mean(kmgan_dist(ff, tf.broadcast_to(mu_f, tf.shape(ff)), squared))
        l_d += float(reg_lambda) * intra
        l_g += float(reg_lambda) * tf.reduce_mean(kmgan_dist(mu_r, mu_f, squared))
    return l_d, l_g
