"""Train small MNIST CNN (2 conv layers, 2 epochs, train split) -> clf.keras; or evaluate gen arrays."""
import sys, os, numpy as np, tensorflow as tf
tf.keras.utils.set_random_seed(0)
d = np.load(os.path.join(os.environ.get("MGAN_DATA_DIR") or sys.exit("set MGAN_DATA_DIR to the directory holding mnist.npz"), "mnist.npz"))
prep = lambda x: x.astype(np.float32)[..., None] / 127.5 - 1.0
path = "clf.keras"
if not os.path.exists(path):
    L = tf.keras.layers
    m = tf.keras.Sequential([L.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPool2D(),
                             L.Conv2D(64, 3, activation="relu"), L.MaxPool2D(), L.Flatten(),
                             L.Dense(128, activation="relu"), L.Dense(10)])
    m.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    m.fit(prep(d["x_train"]), d["y_train"], epochs=2, batch_size=128, verbose=2)
    print("test acc", m.evaluate(prep(d["x_test"]), d["y_test"], verbose=0)[1])
    m.save(path)
m = tf.keras.models.load_model(path)
for f in sys.argv[1:]:
    x = np.load(f)
    p = tf.nn.softmax(m.predict(x, verbose=0)).numpy()
    c = np.bincount(p.argmax(1), minlength=10) / len(p)
    print(f, "classes>=1%:", int((c >= 0.01).sum()), "max share: %.3f" % c.max(),
          "mean maxconf: %.3f" % p.max(1).mean(), "hist:", np.round(c, 3).tolist())
