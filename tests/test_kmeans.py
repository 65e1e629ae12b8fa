"""Mini-batch K-Means in the graph (METHODS §6.2): the published per-sample algorithm in NumPy, scikit-learn's
K-Means on well-separated clusters, K-Means++ seeding."""
import numpy as np
import pytest
import tensorflow as tf
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from mgan import kmeans

RNG = np.random.default_rng(3)


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


def test_assign_is_the_nearest_center():
    f = RNG.normal(size=(50, 3)).astype(np.float32)
    c = RNG.normal(size=(6, 3)).astype(np.float32)
    want = np.argmin(((f[:, None] - c[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(kmeans.assign(f, c).numpy(), want)


@pytest.mark.parametrize("start_counts", [np.zeros(5), np.array([0.0, 3.0, 10.0, 1.0, 7.0])])
def test_minibatch_update_equals_the_per_sample_loop(start_counts):
    c = RNG.normal(size=(5, 4)).astype(np.float32)
    f = RNG.normal(size=(40, 4)).astype(np.float32)
    a = RNG.integers(0, 4, size=40)  # center 4 gets nothing and must not move
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
