"""Vectors: what a token id becomes inside the model, and sentences as points in space.

* **Token embeddings.** The model's first step looks up one row of its *embedding
  matrix* per token id: SmolLM2 has 49,152 rows of 576 numbers. The numbers were learned
  in training, and tokens used in similar ways ended up with similar rows. Similar is
  measured by the **cosine** of the angle between two rows: 1 for the same direction, 0
  for unrelated (perpendicular), -1 for opposite.
* **Sentence embeddings.** A sentence embedder (all-MiniLM-L6-v2) turns a whole
  sentence into one vector of 384 numbers, trained so that sentences with similar
  meaning point in similar directions. Its vectors have length 1, so the cosine is a dot
  product. That makes *semantic search* a matrix product: score every document against
  the question, sort.
* **Maps.** 384 dimensions cannot be drawn; PCA (the directions of largest spread) or
  t-SNE (keeps near neighbours near) squeeze them to 2 or 3 for a picture. The picture
  loses information; the similarity matrix does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from playground.errors import UserInputError
from playground.threads import one_thread

MAX_SENTENCES = 60  # sentences in the similarity matrix and the map
MAX_SENTENCE_CHARS = 500
CHUNK = 8192  # embedding rows compared at once (keeps the float32 copy small)


# ---- token embeddings ----------------------------------------------------------------------


def embedding_matrix(model) -> torch.Tensor:
    """The model's token-embedding matrix (vocab, hidden), read only, in its own dtype."""
    return model.get_input_embeddings().weight.detach()


def row_norms(matrix: torch.Tensor) -> np.ndarray:
    """The length of every row, float32, computed chunk by chunk (read-only result)."""
    with one_thread(), torch.inference_mode():
        norms = torch.cat([matrix[i:i + CHUNK].float().norm(dim=1) for i in range(0, len(matrix), CHUNK)])
    out = norms.numpy()
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class TokenVector:
    token_id: int
    vector: np.ndarray  # (hidden,) float32
    norm: float
    neighbours: tuple[tuple[int, float], ...]  # (token id, cosine), most similar first, itself excluded


def token_vector(matrix: torch.Tensor, norms: np.ndarray, token_id: int, k: int = 12) -> TokenVector:
    """A token's embedding row and the ``k`` rows with the highest cosine to it.

    cos(a, b) = a·b / (|a| |b|), computed for every row in float32, a chunk at a time."""
    if not 0 <= token_id < len(matrix):
        raise UserInputError(f"Token ids go from 0 to {len(matrix) - 1:,}.")
    with one_thread(), torch.inference_mode():
        v = matrix[token_id].float()  # (hidden,)
        dots = torch.cat([matrix[i:i + CHUNK].float() @ v for i in range(0, len(matrix), CHUNK)])  # (vocab,)
        cos = dots / (torch.tensor(norms) * v.norm()).clamp_min(1e-12)
        cos[token_id] = -2.0  # not its own neighbour
        values, indices = cos.topk(k)
    return TokenVector(int(token_id), v.numpy().copy(), float(v.norm()),
                       tuple((int(i), float(c)) for i, c in zip(indices.tolist(), values.tolist())))


# ---- sentence embeddings -------------------------------------------------------------------


def read_lines(text: str, what: str = "sentences", minimum: int = 2, maximum: int = MAX_SENTENCES) -> list[str]:
    """Non-empty lines of a text box, checked: at least ``minimum``, at most ``maximum``,
    none longer than MAX_SENTENCE_CHARS (nothing is cut)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) < minimum:
        raise UserInputError(f"Write at least {minimum} {what}, one per line.")
    if len(lines) > maximum:
        raise UserInputError(f"That is {len(lines)} {what}; this view takes at most {maximum}. "
                             "Remove some lines (nothing was cut).")
    long = [i + 1 for i, line in enumerate(lines) if len(line) > MAX_SENTENCE_CHARS]
    if long:
        raise UserInputError(f"Line {long[0]} is {len(lines[long[0] - 1]):,} characters long; each line may have "
                             f"at most {MAX_SENTENCE_CHARS}. Shorten it.")
    return lines


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    """All pairwise cosines of the rows, (N, N): symmetric, 1 on the diagonal."""
    v = np.asarray(vectors, dtype=np.float64)
    unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T
    sims = (sims + sims.T) / 2  # exactly symmetric
    np.fill_diagonal(sims, 1.0)
    return sims


def project(vectors: np.ndarray, method: str = "PCA", dims: int = 2, seed: int = 0) -> tuple[np.ndarray, str]:
    """Squeeze vectors to ``dims`` coordinates for a map, and say what was kept.

    PCA: the directions of largest spread (the caption gives the share of the variance
    they keep). t-SNE: keeps each point's near neighbours near (distances between far
    clusters mean little); perplexity adapted to few points, seeded."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    v = np.asarray(vectors, dtype=np.float64)
    n = len(v)
    if n < dims + 1:
        raise UserInputError(f"A {dims}D map needs at least {dims + 1} sentences.")
    with one_thread():
        if method == "PCA":
            pca = PCA(n_components=dims, random_state=seed)
            coords = pca.fit_transform(v)
            kept = float(pca.explained_variance_ratio_.sum())
            return coords, f"PCA keeps {kept:.0%} of the spread of the {v.shape[1]}-dimensional vectors."
        if method == "t-SNE":
            perplexity = float(max(2.0, min(30.0, (n - 1) / 3)))
            coords = TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed,
                          metric="cosine", max_iter=500).fit_transform(v)
            return coords, (f"t-SNE (perplexity {perplexity:.0f}, seed {seed}) keeps near neighbours near; "
                            "the distances between far-apart groups mean little.")
    raise UserInputError(f"Unknown map method {method!r}: use PCA or t-SNE.")


# Words in groups: the map should show the groups, with no labels given to the embedder
EXAMPLE_SETS: dict[str, dict[str, list[str]]] = {
    "Animals, fruits, vehicles, emotions": {
        "animal": ["dog", "cat", "horse", "lion", "elephant", "rabbit", "eagle", "dolphin"],
        "fruit": ["apple", "banana", "orange", "strawberry", "grape", "mango", "pear", "cherry"],
        "vehicle": ["car", "bus", "bicycle", "train", "airplane", "truck", "motorbike", "boat"],
        "emotion": ["happy", "sad", "angry", "afraid", "joyful", "anxious", "calm", "surprised"],
    },
    "Animals": {
        "pet": ["dog", "cat", "hamster", "goldfish", "parrot"],
        "farm": ["cow", "pig", "sheep", "goat", "chicken"],
        "wild": ["lion", "tiger", "wolf", "bear", "giraffe"],
    },
    "Sentences about three topics": {
        "weather": ["It will rain all afternoon.", "A cold wind is blowing from the north.",
                    "The sun is shining and it is warm.", "Snow is expected tonight."],
        "cooking": ["Stir the sauce and let it simmer.", "Bake the bread for forty minutes.",
                    "Chop the onions finely.", "Season the soup with salt and pepper."],
        "sport": ["She scored the winning goal.", "The runners crossed the finish line.",
                  "He swam four lengths of the pool.", "The team lost the final match."],
    },
}


def example_points(name: str) -> tuple[list[str], list[str]]:
    """(texts, group of each text) of an example set."""
    groups = EXAMPLE_SETS[name]
    texts = [t for items in groups.values() for t in items]
    labels = [g for g, items in groups.items() for _ in items]
    return texts, labels


def own_points(text: str) -> tuple[list[str], list[str]]:
    """(texts, groups) from lines like "fruit: apple" (a line without a colon: group "your words")."""
    lines = read_lines(text, "lines", minimum=4)
    groups = [line.split(":", 1)[0].strip() if ":" in line else "your words" for line in lines]
    texts = [line.split(":", 1)[1].strip() if ":" in line else line for line in lines]
    if not all(texts):
        raise UserInputError("Every line needs a text after its 'group:'.")
    return texts, groups


def neighbour_purity(vectors: np.ndarray, labels: Sequence[str]) -> float:
    """Share of points whose most similar other point (by cosine) has the same group."""
    sims = cosine_matrix(vectors)
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    return float(np.mean([labels[i] == labels[j] for i, j in enumerate(nearest)]))


# ---- semantic search -----------------------------------------------------------------------

CORPUS: tuple[str, ...] = (
    "To repair a punctured bicycle tube, find the hole, roughen it and glue on a patch.",
    "Water boils at 100 degrees Celsius at sea level, and at a lower temperature on a mountain.",
    "The Eiffel Tower in Paris was finished in 1889 for the World's Fair.",
    "Lighthouses warned ships away from rocks with a bright, rotating light.",
    "A healthy adult should sleep seven to nine hours a night.",
    "Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar.",
    "To bake bread, mix flour, water, yeast and salt, let the dough rise, then bake it.",
    "The stock market fell sharply after the central bank raised interest rates.",
    "A neural network learns by adjusting its weights to reduce a loss function.",
    "Cats often sleep for more than twelve hours a day.",
    "The Pacific is the largest and deepest of the world's oceans.",
    "Regular exercise strengthens the heart and improves mood.",
    "Python is a programming language known for its readable syntax.",
    "The guitar usually has six strings tuned E, A, D, G, B, E.",
    "Vaccines train the immune system to recognise a germ before an infection.",
    "The Moon's gravity causes the ocean tides on Earth.",
    "Backing up your files protects them if your laptop breaks or is stolen.",
    "Chess is a board game for two players, each starting with sixteen pieces.",
    "Coffee contains caffeine, which makes people feel more awake.",
    "Recycling paper saves trees, water and energy.",
)


@dataclass(frozen=True)
class Hit:
    text: str
    score: float  # cosine similarity with the query
    rank: int  # 1 = best


def search(query_vector: np.ndarray, corpus_vectors: np.ndarray, corpus: Sequence[str], k: int = 5) -> list[Hit]:
    """The ``k`` documents whose vectors have the highest cosine with the query's."""
    q = np.asarray(query_vector, dtype=np.float64)
    docs = np.asarray(corpus_vectors, dtype=np.float64)
    scores = docs @ q / np.maximum(np.linalg.norm(docs, axis=1) * np.linalg.norm(q), 1e-12)
    order = np.argsort(-scores, kind="stable")[:k]
    return [Hit(corpus[i], float(scores[i]), r + 1) for r, i in enumerate(order)]


def word_overlap(a: str, b: str) -> set[str]:
    """Words (of 3 letters or more) two texts share: semantic search needs none."""
    def words(text: str) -> set[str]:
        return {w.strip(".,;:!?'\"()").lower() for w in text.split()}

    return {w for w in words(a) & words(b) if len(w) >= 3}
