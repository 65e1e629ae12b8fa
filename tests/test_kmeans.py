"""Mini-batch K-Means in the graph (METHODS §6.2): the published per-sample algorithm in NumPy, scikit-learn's
K-Means on well-separated clusters, K-Means++ seeding."""
import numpy as np
import pytest
import tensorflow as tf
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from mgan.objectives import kmeans


def blobs(n_per, k=4, d=5, spread=0.3, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(k, d)) * 20.0
    x = np.concatenate([means[j] + spread * rng.normal(size=(n_per, d)) for j in range(k)]).astype(np.float32)
    y = np.repeat(np.arange(k), n_per)
    perm = rng.permutation(len(x))
    return x[perm], y[perm]


def sculley_loop(centers, counts, features, assignments):
    """Sculley (2010), Algorithm 1's inner loop as published: one feature at a time, η = 1/v."""
    c, v = centers.astype(np.float64).copy(), counts.astype(np.float64).copy()
    for f, k in zip(features, assignments):
        v[k] += 1
        eta = 1.0 / v[k]
        c[k] = (1 - eta) * c[k] + eta * f
    return c, v


def test_assign_is_the_nearest_center(rng):
    f = rng.normal(size=(50, 3)).astype(np.float32)
    c = rng.normal(size=(6, 3)).astype(np.float32)
    want = np.argmin(((f[:, None] - c[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(kmeans.assign(f, c).numpy(), want)


@pytest.mark.parametrize("start_counts", [np.zeros(5), np.array([0.0, 3.0, 10.0, 1.0, 7.0])])
def test_minibatch_update_equals_the_per_sample_loop(start_counts, rng):
    c = rng.normal(size=(5, 4)).astype(np.float32)
    f = rng.normal(size=(40, 4)).astype(np.float32)
    a = rng.integers(0, 4, size=40)  # center 4 gets nothing and must not move
    got_c, got_v = kmeans.minibatch_update(c, start_counts, f, a)
    want_c, want_v = sculley_loop(c, start_counts, f, a)
    np.testing.assert_allclose(got_c.numpy(), want_c, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got_v.numpy(), want_v)
    np.testing.assert_array_equal(got_c.numpy()[4], c[4])


def test_kmeans_plusplus_seeds_one_center_per_separated_cluster_and_is_deterministic():
    x, y = blobs(30)
    for trials in (None, 1):
        centers, idx = kmeans.kmeans_plusplus(x, 4, seed=[1, 2], n_local_trials=trials)
        assert sorted(y[idx.numpy()]) == [0, 1, 2, 3]
        np.testing.assert_array_equal(centers.numpy(), x[idx.numpy()])
    again = kmeans.kmeans_plusplus(x, 4, seed=[1, 2])[1].numpy()
    np.testing.assert_array_equal(again, kmeans.kmeans_plusplus(x, 4, seed=[1, 2])[1].numpy())
    assert any(not np.array_equal(again, kmeans.kmeans_plusplus(x, 4, seed=[s, 2])[1].numpy()) for s in range(3, 8))


@pytest.mark.slow
def test_minibatch_kmeans_in_the_graph_matches_sklearn_on_separated_clusters():
    x, _ = blobs(200, k=5, seed=4)

    @tf.function
    def step(centers, counts, batch):
        return kmeans.minibatch_update(centers, counts, batch, kmeans.assign(batch, centers))

    centers, _ = kmeans.kmeans_plusplus(x[:64], 5, seed=[0, 0])
    counts = tf.zeros([5])
    for i in range(0, len(x), 64):
        centers, counts = step(centers, counts, tf.constant(x[i:i + 64]))
    ours = kmeans.assign(x, centers).numpy()
    ref = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(x)
    assert adjusted_rand_score(ref, ours) == 1.0
    assert counts.numpy().sum() == len(x)


def test_shape_errors():
    with pytest.raises(ValueError, match="centers"):
        kmeans.assign(np.zeros((3, 2)), np.zeros((4, 3)))


# ----- scikit-learn's MiniBatchKMeans reassignment (KM-GAN option kmeans_reassign='sklearn') ------------------------
def np_to_reassign(counts, m, ratio=0.01):
    """sklearn/cluster/_kmeans.py _mini_batch_step: which centers move (written from its source)."""
    to = counts < ratio * counts.max()
    if to.sum() > 0.5 * m:
        to[np.argsort(counts, kind="stable")[int(0.5 * m):]] = False
    return to


@pytest.mark.parametrize("counts, m", [([0, 500, 3, 800, 7, 0], 12), ([0, 0, 0, 900, 0, 0], 4), ([5, 6, 7, 8, 9, 10], 8)])
def test_reassignment_moves_the_small_centers_to_distinct_batch_points(counts, m):
    counts = np.array(counts, np.float32)
    rng = np.random.default_rng(3)
    centers, f = rng.normal(size=(6, 3)).astype("float32"), rng.normal(size=(m, 3)).astype("float32")
    c, v, rows, moved = (t.numpy() for t in kmeans.reassign_small_clusters(centers, counts, f, [4, 5]))
    want = np_to_reassign(counts, m)
    np.testing.assert_array_equal(moved, want)
    np.testing.assert_array_equal(c[~want], centers[~want])
    np.testing.assert_array_equal(c[want], f[rows[want]])
    assert len(set(rows[want].tolist())) == want.sum()  # distinct points, as sklearn's choice without replacement
    np.testing.assert_array_equal(v, np.where(want, counts[~want].min(), counts))


def test_reassignment_cadence_matches_partial_fit():
    """MiniBatchKMeans._random_reassign: due when a count is 0, else once 10·K samples passed (then reset)."""
    due, since = kmeans.reassign_due(np.ones(10, np.float32), 0, 64)
    assert not bool(due) and int(since) == 64
    due, since = kmeans.reassign_due(np.ones(10, np.float32), 64, 64)
    assert bool(due) and int(since) == 0  # 128 >= 100
    due, since = kmeans.reassign_due(np.array([0.0] + [5.0] * 9, np.float32), 0, 64)
    assert bool(due) and int(since) == 0
