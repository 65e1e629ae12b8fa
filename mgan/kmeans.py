"""Mini-batch K-Means in the graph, for KM-GAN's real and fake feature centers (METHODS §6.2, KM-GAN ref. 30:
Sculley, "Web-scale k-means clustering", 2010), with K-Means++ initialisation (Arthur & Vassilvitskii 2007).

Pure TensorFlow functions of tensors (usable inside ``train_step``):

- :func:`kmeans_plusplus` — K-Means++ seeding on one batch of features: the first center uniformly, each next one
  with probability proportional to D(f)², the squared distance to the nearest center chosen so far; with
  ``n_local_trials`` > 1, the greedy variant scikit-learn uses (``sklearn.cluster.kmeans_plusplus``, the reference:
  it draws that many candidates and keeps the one that lowers the potential most).
- :func:`assign` — the nearest center of each feature (squared Euclidean distance; ties to the lowest index).
- :func:`minibatch_update` — Sculley's step with persistent counts v_k (initially 0): for each assigned feature f in
  turn, v_{d(f)} += 1, η = 1/v_{d(f)}, c_{d(f)} ← (1 − η) c_{d(f)} + η f. Since η = 1/v, that sequential loop keeps
  each center the mean of everything ever assigned to it, so the batch's effect is the closed form
  c_k ← (v_k c_k + Σ_{i: d(f_i)=k} f_i) / (v_k + n_k), v_k ← v_k + n_k (exact, order-free; tested against the
  per-sample loop). A center with no feature in the batch does not move.
"""
import math

import tensorflow as tf

from mgan import losses


def _f32(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def _check(features, centers):
    if features.shape.rank != 2 or centers.shape.rank != 2 or not features.shape[1:].is_compatible_with(
            centers.shape[1:]):
        raise ValueError(f"features must be [m, d] and centers [k, d]; got {tuple(features.shape)} and "
                         f"{tuple(centers.shape)}")


def squared_distances(features, centers):
    """‖f_i − c_k‖² for every pair, shape [m, k] (:func:`mgan.losses.all_pairs_squared_distance`, shape-checked)."""
    f, c = _f32(features), _f32(centers)
    _check(f, c)
    return losses.all_pairs_squared_distance(f, c)


def assign(features, centers):
    """Index of the nearest center of every feature, int32 [m]."""
    return tf.argmin(squared_distances(features, centers), axis=1, output_type=tf.int32)


def minibatch_update(centers, counts, features, assignments):
    """Sculley's mini-batch K-Means step: returns (new centers [k, d], new counts [k]) (see the module docstring)."""
    c, f = _f32(centers), tf.stop_gradient(_f32(features))
    _check(f, c)
    v = _f32(counts)
    a = tf.cast(tf.convert_to_tensor(assignments), tf.int32)
    k = tf.shape(c)[0]
    sums = tf.math.unsorted_segment_sum(f, a, k)
    n = tf.math.unsorted_segment_sum(tf.ones_like(a, tf.float32), a, k)
    total = v + n
    new = (v[:, None] * c + sums) / tf.maximum(total, 1.0)[:, None]
    return tf.where((n > 0)[:, None], new, c), total


def kmeans_plusplus(features, k, seed, n_local_trials=None):
    """K-Means++ seeding of ``k`` centers from the rows of ``features`` [m, d] (m ≥ k), deterministic in ``seed``
    (a pair of ints for the stateless generators). ``n_local_trials``: candidates per step (None: scikit-learn's
    2 + ⌊ln k⌋; 1: the classic algorithm). Returns (centers [k, d], indices [k])."""
    f = tf.stop_gradient(_f32(features))
    m = tf.shape(f)[0]
    k = int(k)
    trials = int(n_local_trials or 2 + int(math.log(k)))
    seed = tf.convert_to_tensor(seed, tf.int32)
    first = tf.random.stateless_uniform([], seed, 0, m, dtype=tf.int32)
    closest = tf.reduce_sum(tf.square(f - f[first]), 1)  # D(f)² to the chosen centers
    indices = tf.TensorArray(tf.int32, size=k).write(0, first)
    for i in range(1, k):  # k is small and static: an unrolled loop keeps the graph simple
        logits = tf.math.log(tf.maximum(closest, 0.0) + 1e-30)[None, :]
        cand = tf.random.stateless_categorical(logits, trials, seed + tf.constant([0, i], tf.int32),
                                               dtype=tf.int32)[0]
        cand_d = tf.minimum(closest[None, :], squared_distances(tf.gather(f, cand), f))  # [trials, m]
        best = tf.argmin(tf.reduce_sum(cand_d, 1), output_type=tf.int32)
        closest = cand_d[best]
        indices = indices.write(i, cand[best])
    idx = indices.stack()
    return tf.gather(f, idx), idx
