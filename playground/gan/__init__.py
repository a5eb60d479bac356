"""GANs: a live 2D GAN (toy2d), its data sets (data2d) and coverage measures
(coverage), and a small class-conditional DCGAN on scikit-learn's digits (digits,
trained by train_digits). Figure builders are in charts."""
