"""The temperature & sampling lab: how a language model picks its next token.

* :mod:`.lab`: the sampling pipeline stage by stage on cached logits (transformers' own
  logits processors), reference formulas, dice, softmax numbers, diversity metrics;
* :mod:`.charts`: the plotly figures of the page.
"""
