"""The embedded sentence embedder: offline, unit-length vectors, meaning-aware."""

import numpy as np


def test_embeddings_are_unit_vectors_that_follow_meaning(embedder):
    vectors = embedder.encode([
        "A cat sits on the mat.",
        "A kitten is resting on a rug.",
        "Stock markets fell sharply today.",
    ])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.5 > unrelated
    assert embedder.info.source == "embedded package"


def test_padding_does_not_change_an_embedding(embedder):
    alone = embedder.encode(["Short."])[0]
    batched = embedder.encode(["Short.", "A much longer sentence that forces padding in the batch."])[0]
    assert np.allclose(alone, batched, atol=1e-5)
