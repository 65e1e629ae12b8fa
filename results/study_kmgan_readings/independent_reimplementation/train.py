"""Independent minimal KM-GAN re-implementation (METHODS.md §6 spec), plain TF2.
Usage: python train.py --variant {base,dmgan,plain} --iters 1300 --out DIR
"""
import argparse
import sys, os, time, json
import numpy as np
import tensorflow as tf
from sklearn.cluster import kmeans_plusplus

p = argparse.ArgumentParser()
p.add_argument("--variant", default="base", choices=["base", "dmgan", "plain"])
p.add_argument("--iters", type=int, default=1300)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--out", default="run_base")
p.add_argument("--noclip_bn", action="store_true", help="diagnostic: do not clip BN gamma/beta")
p.add_argument("--logevery", type=int, default=50)
p.add_argument("--g_project_bn", default="unit", choices=["unit", "channel"],
               help="BN of G's dense projection: per unit, then reshape (as written) | reshape, then per channel "
                    "(the package's 'mnist' layout; the bisect run)")
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
tf.keras.utils.set_random_seed(a.seed)
rng = np.random.default_rng(a.seed)

K, FD, ZD, B, SIG, LR = 10, 500, 100, 64, 0.5, 2e-4
d = np.load(os.path.join(os.environ.get("MGAN_DATA_DIR") or sys.exit("set MGAN_DATA_DIR to the directory holding mnist.npz"), "mnist.npz"))
X = np.concatenate([d["x_train"], d["x_test"]]).astype(np.float32)[..., None] / 127.5 - 1.0
print("data", X.shape, X.min(), X.max())

L = tf.keras.layers
init = tf.keras.initializers.RandomNormal(0.0, 0.02)
BN = lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-5)
LR_ = lambda: L.LeakyReLU(0.2)

def make_G():
    return tf.keras.Sequential([
        L.Input((ZD,)), L.Dense(7 * 7 * 64, kernel_initializer=init),
        *([BN(), LR_(), L.Reshape((7, 7, 64))] if a.g_project_bn == "unit" else [L.Reshape((7, 7, 64)), BN(), LR_()]),
        L.Conv2DTranspose(32, 5, 2, "same", kernel_initializer=init), BN(), LR_(),
        L.Conv2DTranspose(16, 5, 2, "same", kernel_initializer=init), BN(), LR_(),
        L.Conv2DTranspose(1, 5, 1, "same", kernel_initializer=init), L.Activation("tanh")])

def make_D():
    return tf.keras.Sequential([
        L.Input((28, 28, 1)),
        L.Conv2D(16, 5, 1, "same", kernel_initializer=init), BN(), LR_(),
        L.Conv2D(32, 5, 2, "same", kernel_initializer=init), BN(), LR_(),
        L.Conv2D(64, 5, 2, "same", kernel_initializer=init), BN(), LR_(),
        L.Conv2D(128, 5, 2, "same", kernel_initializer=init), BN(), LR_(),
        L.Flatten(), L.Dense(FD, kernel_initializer=init)])

G, D = make_G(), make_D()
optD = tf.keras.optimizers.Adam(LR, beta_1=0.5, beta_2=0.999, epsilon=1e-8)
optG = tf.keras.optimizers.Adam(LR, beta_1=0.5, beta_2=0.999, epsilon=1e-8)
optC = tf.keras.optimizers.SGD(LR)
optD.build(D.trainable_variables); optG.build(G.trainable_variables)
optC.build(D.trainable_variables + G.trainable_variables)

PLAIN = a.variant == "plain"

def sqd(f, c):  # row-wise squared distance between f and gathered centers c
    return tf.reduce_sum(tf.square(f - c), axis=1)

def dist(f, c):  # the "dist" of the spec: squared Euclidean (or plain for ablation a)
    s = sqd(f, c)
    return tf.sqrt(s + 1e-12) if PLAIN else s

def nearest(f, C):  # index of nearest center (argmin squared distance == argmin distance)
    d2 = tf.reduce_sum(f * f, 1, keepdims=True) - 2 * tf.matmul(f, C, transpose_b=True) + tf.reduce_sum(C * C, 1)[None]
    return tf.argmin(d2, axis=1, output_type=tf.int32)

def clipD():
    for v in D.trainable_variables:
        if a.noclip_bn and ("gamma" in v.path or "beta" in v.path):
            continue
        v.assign(tf.clip_by_value(v, -0.1, 0.1))

@tf.function
def feats(x, z):
    return D(x, training=True), D(G(z, training=True), training=True)

@tf.function
def step1(x, z, cr, cf, k, kt):
    crk, crkt, cfkt = tf.gather(cr, k), tf.gather(cr, kt), tf.gather(cf, kt)
    with tf.GradientTape() as t:
        fr = D(x, training=True); ff = D(G(z, training=True), training=True)
        if a.variant == "dmgan":
            push = tf.reduce_mean(tf.sqrt(sqd(ff, crkt) + 1e-12))   # plain distance push
            LD = tf.reduce_mean(sqd(fr, crk)) - push + tf.reduce_mean(sqd(ff, cfkt))
        else:
            LD = tf.reduce_mean(dist(fr, crk)) - tf.reduce_mean(dist(ff, crkt))
    optD.apply_gradients(zip(t.gradient(LD, D.trainable_variables), D.trainable_variables))
    clipD()
    with tf.GradientTape() as t:
        ff = D(G(z, training=True), training=True)
        LG = tf.reduce_mean(dist(ff, crkt))
    optG.apply_gradients(zip(t.gradient(LG, G.trainable_variables), G.trainable_variables))
    return LD, LG

def r1(f, C, idx):
    """c~_k = c_k - sigma * sum_{i:idx(i)=k} (c_k - f_i) / (1 + N_k), N_k = #batch points assigned to k."""
    oh = tf.one_hot(idx, K)                       # B x K
    n = tf.reduce_sum(oh, 0)                      # K
    s = tf.matmul(oh, f, transpose_a=True)        # K x FD, sum of assigned features
    diff = n[:, None] * C - s                     # sum_i (c_k - f_i)
    return C - SIG * diff / (1.0 + n[:, None])

@tf.function
def step2(x, z, cr, cf):
    vs = D.trainable_variables + G.trainable_variables
    with tf.GradientTape() as t:
        fr = D(x, training=True); ff = D(G(z, training=True), training=True)
        k = nearest(tf.stop_gradient(fr), cr); kt = nearest(tf.stop_gradient(ff), cf)
        tr, tfk = r1(fr, cr, k), r1(ff, cf, kt)
        d = tf.reduce_sum(tf.square(tr - tfk), 1)
        if PLAIN:
            d = tf.sqrt(d + 1e-12)
        Lc = tf.reduce_mean(d)                     # (1/K) sum_k
    optC.apply_gradients(zip(t.gradient(Lc, vs), vs))
    clipD()
    return Lc

def mbkm(f, C, v):
    """Sculley mini-batch k-means, batch form: running mean update."""
    d2 = ((f[:, None, :] - C[None]) ** 2).sum(-1)
    idx = d2.argmin(1)
    C = C.copy(); v = v.copy()
    for kk in range(K):
        m = idx == kk; n = m.sum()
        if n == 0:
            continue
        v[kk] += n
        C[kk] = C[kk] + (f[m].sum(0) - n * C[kk]) / v[kk]
    return C, v

zfix = tf.constant(rng.random((64, ZD), dtype=np.float32))
cr = cf = None
log = []
t0 = time.time()
for it in range(1, a.iters + 1):
    x = tf.constant(X[rng.integers(0, len(X), B)])
    z = tf.constant(rng.random((B, ZD), dtype=np.float32))
    fr, ff = feats(x, z)
    if cr is None:
        cr, _ = kmeans_plusplus(fr.numpy().astype(np.float64), K, random_state=a.seed)
        cr = cr.astype(np.float32); cf = cr.copy()
        vr = np.zeros(K); vf = np.zeros(K)
    crt, cft = tf.constant(cr), tf.constant(cf)
    k = nearest(fr, crt); kt = nearest(ff, cft)
    ndist = len(np.unique(kt.numpy()))
    LD, LG = step1(x, z, crt, cft, k, kt)
    Lc = step2(x, z, crt, cft)
    fr, ff = feats(x, z)
    cr, vr = mbkm(fr.numpy(), cr, vr)
    cf, vf = mbkm(ff.numpy(), cf, vf)
    if it % a.logevery == 0 or it == 1:
        rec = dict(it=it, LD=float(LD), LG=float(LG), Lc=float(Lc), n_kt=ndist,
                   n_k=len(np.unique(k.numpy())), cr_cf=float(np.sqrt(((cr - cf) ** 2).sum(1)).mean()),
                   t=round(time.time() - t0, 1), fr_norm=float(np.linalg.norm(fr.numpy(),axis=1).mean()),
                   cr_norm=np.round(np.linalg.norm(cr,axis=1),2).tolist(), vr=vr.astype(int).tolist())
        log.append(rec); print(json.dumps(rec), flush=True)
        assert np.isfinite([rec["LD"], rec["LG"], rec["Lc"]]).all()

json.dump(log, open(f"{a.out}/log.json", "w"))
G.save_weights(f"{a.out}/G.weights.h5")
np.save(f"{a.out}/zfix.npy", zfix.numpy())
# samples
import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
img = G(zfix, training=False).numpy()[..., 0]
grid = img.reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(224, 224)
plt.imsave(f"{a.out}/samples.png", (grid + 1) / 2, cmap="gray", vmin=0, vmax=1)
img = G(zfix, training=True).numpy()[..., 0]
grid = img.reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(224, 224)
plt.imsave(f"{a.out}/samples_trainmodeBN.png", (grid + 1) / 2, cmap="gray", vmin=0, vmax=1)
z2 = tf.constant(np.random.default_rng(123).random((2000, ZD), dtype=np.float32))
np.save(f"{a.out}/gen2000_eval.npy", G(z2, training=False).numpy())
np.save(f"{a.out}/gen2000_train.npy", np.concatenate([G(z2[i:i + 100], training=True).numpy() for i in range(0, 2000, 100)]))
print("done", time.time() - t0)
