"""Small causal language models: tokenizers, model factory, training, sampling, scoring, loading.

Each idea lives in its own module and imports torch/transformers itself, so importing `ml.lm`
stays cheap for code (like the experiment catalog) that only needs names.
"""
