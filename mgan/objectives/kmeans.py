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
- :func:`reassign_small_clusters` — scikit-learn's random reassignment of ``MiniBatchKMeans`` (not in Sculley's
  paper; an option of KM-GAN, ``kmeans_reassign='sklearn'``): centers whose count is below ``ratio`` × the largest
  move to distinct random points of the batch, and their counts become the smallest kept count; and
  :func:`reassign_due`, its cadence in ``MiniBatchKMeans.partial_fit``.
"""
import math

import tensorflow as tf

from mgan.objectives import losses


def _f32(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def _check(features, centers):
    if features.shape.rank != 2 or centers.shape.rank != 2 or not features.shape[1:].is_compatible_with(
            centers.shape[1:]):
        raise ValueError(f"features must be [m, d] and centers [k, d]; got {tuple(features.shape)} and "
                         f"{tuple(centers.shape)}")


def squared_distances(features, centers):
    """‖f_i − c_k‖² for every pair, shape [m, k] (:func:`mgan.objectives.losses.all_pairs_squared_distance`,
    shape-checked)."""
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


# scikit-learn MiniBatchKMeans (sklearn/cluster/_kmeans.py): reassignment_ratio default, and _random_reassign's
# cadence: whenever a count is 0, else once 10·K samples have passed since the last reassignment.
REASSIGNMENT_RATIO = 0.01
REASSIGN_EVERY_PER_CENTER = 10


def reassign_due(counts, samples_since, batch_size):
    """(reassign now?, the new samples-since-last-reassignment count) as ``MiniBatchKMeans._random_reassign``
    decides it before a step: the batch is added to the count; due when a center has count 0 or the count reaches
    10·K samples, and then the count restarts at 0."""
    v = _f32(counts)
    since = tf.cast(samples_since, tf.int64) + tf.cast(batch_size, tf.int64)
    k = tf.cast(tf.shape(v)[0], tf.int64)
    due = tf.logical_or(tf.reduce_any(tf.equal(v, 0.0)), since >= REASSIGN_EVERY_PER_CENTER * k)
    return due, tf.where(due, tf.zeros_like(since), since)


def reassign_small_clusters(centers, counts, features, seed, ratio=REASSIGNMENT_RATIO):
    """scikit-learn's reassignment step (``_mini_batch_step``, ``random_reassign=True``): the centers with count <
    ``ratio`` · max count (at most m/2 of them: those of the m/2 smallest counts) move to distinct points of the
    batch drawn uniformly (stateless, ``seed`` a pair of ints); their counts become the smallest count among the
    centers kept. Returns (centers [k, d], counts [k], the batch row of each center [k], reassigned mask [k])."""
    c, f, v = _f32(centers), tf.stop_gradient(_f32(features)), _f32(counts)
    _check(f, c)
    m, k = tf.shape(f)[0], tf.shape(c)[0]
    rank = tf.scatter_nd(tf.argsort(v, stable=True)[:, None], tf.range(k), [k])  # rank by ascending count
    small = tf.logical_and(v < ratio * tf.reduce_max(v), rank < m // 2)
    perm = tf.argsort(tf.random.stateless_uniform([m], tf.convert_to_tensor(seed, tf.int32)))
    slot = tf.minimum(tf.cumsum(tf.cast(small, tf.int32), exclusive=True), m - 1)  # j-th reassigned: perm[j]
    rows = tf.gather(perm, slot)
    kept_min = tf.reduce_min(tf.where(small, tf.fill([k], float("inf")), v))
    return (tf.where(small[:, None], tf.gather(f, rows), c), tf.where(small, kept_min, v), rows, small)
