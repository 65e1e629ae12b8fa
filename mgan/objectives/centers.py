"""Class centers of features: the center-loss update of DMGAN Eqs. 3-4 (also used by KM-GAN's center loss)."""
import tensorflow as tf


def update_centers(centers, features, labels, gamma, sample_weight=None, stop_gradient=True):
    """DMGAN Eqs. 3-4: c_k <- c_k - gamma * sum_{j: y_j = k}(c_k - f_j) / (1 + n_k).

    Args:
      centers: [k, d] current centers.
      features: [m, d] this batch's features (used as constants).
      labels: [m] int class of each feature, in [0, k).
      gamma: the update ratio γ (0 keeps the centers fixed: DMGAN-f).
      sample_weight: optional [m] per-example weights s_j (Keras' third batch element): each feature counts s_j
        times, c_k <- c_k - gamma * sum_{y_j = k} s_j (c_k - f_j) / (1 + sum_{y_j = k} s_j); ones give Eqs. 3-4.
    Returns:
      the new [k, d] centers. A class absent from the batch (n_k = 0) does not move.
    """
    centers = tf.cast(tf.convert_to_tensor(centers), tf.float32)
    features = tf.cast(tf.convert_to_tensor(features), tf.float32)
    if stop_gradient:
        features = tf.stop_gradient(features)
    labels = tf.cast(tf.convert_to_tensor(labels), tf.int32)
    k = tf.shape(centers)[0]
    if sample_weight is None:
        weight = tf.ones_like(labels, tf.float32)
    else:
        weight = tf.stop_gradient(tf.cast(tf.convert_to_tensor(sample_weight), tf.float32))
        features = features * weight[:, None]
    sums = tf.math.unsorted_segment_sum(features, labels, k)  # S_k
    counts = tf.math.unsorted_segment_sum(weight, labels, k)[:, None]  # n_k
    delta = (counts * centers - sums) / (1.0 + counts)
    return centers - tf.cast(gamma, tf.float32) * delta
