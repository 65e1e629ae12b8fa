"""What survives of the KM-GAN paper's numbers (METHODS §6.6-6.8): its K per data set, CelebA's λ_g, the rows of its
IS table, and DMGAN Table 3's KM-GAN row as the only reference value."""

# KM-GAN (METHODS §6.8): no numeric value of the KM-GAN paper survives; its only CIFAR-10 IS is DMGAN Table 3's row,
# a run by the same group. The IS table's other rows (values lost) in the paper's order.
KMGAN_REFERENCE_IS = (5.61, 0.09)  # DMGAN Table 3, "KM-GAN"
KMGAN_TABLE_LOST_ROWS = ("Improved GANs", "MIX+WGAN", "ALI", "MLGAN")
KMGAN_K = {"synthetic": 4, "mnist": 10, "fashion_mnist": 10, "cifar10": 10, "celeba": 5}  # §6.6
KMGAN_CELEBA_REG_LAMBDA = 5.0  # λ_g of the generalized KM-GAN on CelebA (§6.6)
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
