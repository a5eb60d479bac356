"""Unsupervised learning: structure found with no labels.

Read the modules in this order:

* ``data``        seeded 2-D toy sets (blobs, moons, circles, anisotropic, varied density),
                  the 8x8 digits, and points with injected outliers
* ``kmeans``      k-means written out by hand, one assign / update step at a time
* ``clustering``  DBSCAN, Gaussian mixtures, agglomerative clustering (with its dendrogram),
                  and the elbow / silhouette curves for choosing k
* ``reduction``   PCA and t-SNE of the digits, explained variance, reconstruction
* ``anomaly``     isolation forest and local outlier factor, precision / recall
* ``baskets``     a synthetic shop: customer groups and "who buys X also buys Y" rules
* ``charts``      plotly figures for all of the above

Nothing here imports streamlit; every function takes a seed where chance is involved.
Labels, where a data set has them, are never shown to an algorithm: they are used only
after the fact, to score what the algorithm found (adjusted Rand index, precision/recall).
"""
