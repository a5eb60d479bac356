"""The map of the app: every page, its group and the question it answers.

Home.py builds the navigation from this list and Home shows a card per page.
A page is listed only when its file exists, so nothing unfinished is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("Start", "Classic ML", "Language models", "Image generation", "LLM limits")


@dataclass(frozen=True)
class PageSpec:
    file: str  # relative to the repository root
    title: str
    icon: str  # a Material icon name, as st.Page expects
    group: str
    question: str
    url_path: str  # equal to the file's name: see playground/ui/entry.py

    @property
    def path(self) -> Path:
        return ROOT / self.file


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "Home", ":material/home:", "Start",
             "What are AI, machine learning, deep learning and generative AI?", "home"),
    PageSpec("pages/supervised.py", "Supervised learning", ":material/scatter_plot:", "Classic ML",
             "How does a model learn from labelled examples, and when does it overfit?", "supervised"),
    PageSpec("pages/unsupervised.py", "Unsupervised learning", ":material/bubble_chart:", "Classic ML",
             "What structure can be found with no labels (clusters, projections, anomalies)?",
             "unsupervised"),
    PageSpec("pages/reinforcement.py", "Reinforcement learning", ":material/sports_esports:",
             "Classic ML", "How does an agent learn from rewards and penalties?", "reinforcement"),
    PageSpec("pages/sampling_lab.py", "Temperature & sampling lab", ":material/casino:",
             "Language models",
             "How does an LLM pick the next token, and what do temperature, top-k, top-p and min-p do?",
             "sampling_lab"),
    PageSpec("pages/tokens.py", "Tokens, embeddings & attention", ":material/token:", "Language models",
             "What does a language model actually see: tokens, vectors, attention?", "tokens"),
    PageSpec("pages/fewshot.py", "Few-shot vs fine-tune", ":material/model_training:", "Language models",
             "Prompt with examples, or change the weights? What does each cost and win?", "fewshot"),
    PageSpec("pages/chatmodel.py", "How a chat model is made", ":material/forum:", "Language models",
             "Pre-training, instruction fine-tuning, preference tuning: what does each stage change?",
             "chatmodel"),
    PageSpec("pages/gan.py", "GANs", ":material/swords:", "Image generation",
             "Two networks in a contest: how does a generator learn to fool a discriminator?", "gan"),
    PageSpec("pages/diffusion.py", "Diffusion", ":material/blur_on:", "Image generation",
             "Add noise, learn to remove it: how do images come out of noise?", "diffusion"),
    PageSpec("pages/hallucinations.py", "Hallucinations & context window", ":material/psychology_alt:",
             "LLM limits", "When does a model make things up, and what does it forget?", "hallucinations"),
)


def available_pages() -> list[PageSpec]:
    """The pages whose files exist, in map order."""
    return [p for p in PAGES if p.path.exists()]
