"""What a language model actually sees: tokens, vectors, attention, positions, layers.

The logic behind the *Tokens, embeddings & attention* page, on the real default models
(SmolLM2-135M-Instruct: 30 layers, 9 query heads sharing 3 key/value heads, hidden size
576, rotary positions with θ = 100,000; all-MiniLM-L6-v2 for sentence embeddings).
Readable top to bottom, one idea per module:

* :mod:`.pieces`: text -> tokens (byte-level BPE and WordPiece side by side, chat
  template specials, bytes of a character, notes on odd characters);
* :mod:`.vectors`: token-embedding rows and their nearest tokens; sentence embeddings,
  similarity matrix, 2D/3D maps, semantic search;
* :mod:`.context`: the same word's vector in two sentences, layer by layer;
* :mod:`.attention`: one traced text as read-only arrays, and measures that find heads
  with a job (previous token, first token, ...);
* :mod:`.inside`: one layer recomputed by hand from the model's weights (q, k, rotary,
  grouped keys, causal mask, softmax; the MLP);
* :mod:`.rotary`: the rotation angles per dimension pair, a query-key score against
  distance;
* :mod:`.forward`: the forward pass step by step and the logit lens;
* :mod:`.charts`: plotly figures (data in, figure out);
* :mod:`.lessons`: what the page says, and its "try this" experiments (each one tested).

From a plain Python shell::

    from playground.models.llm import load_llm
    from playground.tokens import attention, forward
    lm = load_llm()
    view = attention.trace_view(lm, lm.encode("The capital of France is", mode="raw"))
    steps = forward.forward_steps(lm, view, forward.residual_stream(lm, view))
    [lm.token_strings([i])[0] for i, _ in steps.top[:3]]       # [' Paris', ' the', ' London']
"""
