"""Feature-based learning: a frozen model turns each text into a vector, a small
classifier learns from the vectors.

Two frozen models, one classifier:

* **MiniLM** (all-MiniLM-L6-v2, 22.7M parameters): the sentence embedding, mean pooling
  over the tokens, unit length (384 numbers);
* **the LLM's last hidden state** (SmolLM2-135M, after its final norm): 576 numbers per
  token; averaged over the text's tokens (``pooling="mean"``) or taken at its last token
  (``"last"``, what transformers' ``*ForSequenceClassification`` heads read).

The classifier is scikit-learn's ``Pipeline(StandardScaler, LogisticRegression)``. Only
the classifier learns (384 x 5 + 5 = 1,925 weights for MiniLM); the frozen models only
read. The LLM here is the shared one: reading it needs no copy.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from playground.fewshot.cache import FEATURES
from playground.fewshot.data import Task
from playground.threads import one_thread

MAX_TOKENS = 96  # a text's tokens read by the LLM (messages are far shorter)
BATCH = 32


def minilm_vectors(embedder, task: Task) -> np.ndarray:
    """(n_texts, 384) unit vectors of every text of the task, computed once per task."""
    def compute() -> np.ndarray:
        with one_thread():
            vectors = embedder.encode(list(task.texts)).astype(np.float32)
        vectors.setflags(write=False)
        return vectors

    return FEATURES.get_or_compute(("minilm", task.key), compute)


def llm_hidden(lm, texts: list[str], pooling: str = "mean", progress=None) -> np.ndarray:
    """(n_texts, hidden) last hidden states of the shared LLM, pooled per text.

    Texts are read as they are (no prompt, no chat template), right-padded in batches;
    the attention mask keeps the padding out of every real token's state and out of the
    mean. Read-only: inference mode, the model's turn held per batch."""
    from playground.models.llm.scoring import pad_batch

    with lm._guarded():
        ids = [list(lm.tokenizer(t, add_special_tokens=False)["input_ids"])[:MAX_TOKENS] or [lm.pad_id]
               for t in texts]
    out = []
    for start in range(0, len(ids), BATCH):
        batch, mask, positions, _ = pad_batch(ids[start:start + BATCH], lm.pad_id, "right")
        with lm._guarded(), torch.inference_mode():
            hidden = lm.model.base_model(input_ids=batch.to(lm.device), attention_mask=mask.to(lm.device),
                                         position_ids=positions.to(lm.device)).last_hidden_state.float()  # (B, T, H)
        mask = mask.to(hidden.device).unsqueeze(-1).float()  # (B, T, 1)
        if pooling == "mean":
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)  # (B, H)
        elif pooling == "last":
            last = mask.squeeze(-1).sum(1).long() - 1  # index of each row's last real token
            pooled = hidden[torch.arange(hidden.shape[0]), last]  # (B, H)
        else:
            raise ValueError("pooling is 'mean' or 'last'")
        out.append(pooled.cpu().numpy())
        if progress is not None:
            progress(min(1.0, (start + BATCH) / len(ids)), f"Reading texts {min(start + BATCH, len(ids))}/{len(ids)}")
    return np.concatenate(out).astype(np.float32)


def llm_vectors(lm, task: Task, pooling: str = "mean", model_key: str = "", progress=None) -> np.ndarray:
    """The LLM's pooled last hidden state of every text of the task, computed once per task."""
    def compute() -> np.ndarray:
        with one_thread():
            vectors = llm_hidden(lm, list(task.texts), pooling, progress)
        vectors.setflags(write=False)
        return vectors

    return FEATURES.get_or_compute(("llm", model_key or lm.info.key, lm.precision, pooling, task.key), compute)


def logistic_regression(seed: int = 0, C: float = 1.0) -> Pipeline:
    """Standardise every feature, then multinomial logistic regression (L2, lbfgs)."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=seed))


def fit_predict(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, seed: int = 0,
                C: float = 1.0) -> tuple[Pipeline, np.ndarray]:
    """Fit on the pool, predict the test set: (the fitted pipeline, predicted labels)."""
    with one_thread():
        model = logistic_regression(seed, C).fit(X_train, y_train)
        return model, model.predict(X_test)


def classifier_size(n_features: int, n_labels: int) -> int:
    """Weights logistic regression learns: one weight per feature and label, one bias per
    label (two labels: scikit-learn keeps one row of weights and one bias)."""
    rows = 1 if n_labels == 2 else n_labels
    return n_features * rows + rows
