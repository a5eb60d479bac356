"""Few-shot prompting vs fine-tuning, measured on the same task, split and machine.

Read top to bottom:

* :mod:`.data`: the task (the shipped customer messages, or the user's CSV) and the
  labelled pool every method learns from;
* :mod:`.prompting`: zero- and few-shot prompts, labels scored by log-probability,
  random or nearest (KATE) examples, calibration, example orders;
* :mod:`.features`: frozen MiniLM embeddings or the LLM's last hidden state, then
  logistic regression;
* :mod:`.setfit_method`: SetFit, contrastive fine-tuning of MiniLM, then a head;
* :mod:`.finetune`: the LLM as a classifier: head only, LoRA (peft), all weights,
  always on a session's own copy;
* :mod:`.facts`: what fine-tuning does not do (six new facts: prompt or fine-tune);
* :mod:`.methods`: the seven methods behind one call, with what each cost on this machine;
* :mod:`.measure`, :mod:`.cache`, :mod:`.queue`: timing and peak memory, results cached
  by their inputs, the queue that bounds fine-tuning memory and concurrency;
* :mod:`.precompute` (a script) and :mod:`.shipped`: the learning curves of the shipped
  task, computed once and shipped in ``results/shipped.json``;
* :mod:`.lab`, :mod:`.report`, :mod:`.charts`: what the page asks for, its tables, its figures.

From a plain Python shell::

    from playground.models.llm import load_llm
    from playground.models.embedder import load_embedder
    from playground.fewshot.data import load_shipped
    from playground.fewshot.methods import Models, RunSettings, run_method
    lm, emb = load_llm(), load_embedder()
    models = Models(lm, emb, "smollm2")
    run_method("feat_minilm", load_shipped(), 8, 0, RunSettings(), models).accuracy
"""
