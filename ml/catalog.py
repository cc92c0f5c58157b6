"""Every experiment Assay can run, declared by name with its parameters.

Only declarations live here (cheap to import); the entry points load lazily.
"""

from ml.experiments import Experiment, Param, register

register(
    Experiment(
        name="lm.train_tiny",
        title="Train a tiny causal LM",
        description="Train a small GPT-2-style model from scratch on a JSONL text dataset and save it "
        "as a Hugging Face checkpoint.",
        params=(
            Param(
                "dataset",
                str,
                "",
                "Path to a JSONL file with a 'text' field; empty uses the built-in corpus.",
            ),
            Param("tokenizer", str, "char", "Tokenizer kind.", choices=("char", "bpe")),
            Param("n_layer", int, 2, "Transformer layers.", min=1, max=24),
            Param("n_embd", int, 64, "Hidden size.", min=8, max=2048),
            Param("n_head", int, 4, "Attention heads.", min=1, max=32),
            Param("block_size", int, 64, "Context length in tokens.", min=8, max=4096),
            Param("steps", int, 200, "Optimizer steps.", min=1, max=1_000_000),
            Param("batch_size", int, 16, "Sequences per step.", min=1, max=4096),
            Param("lr", float, 3e-3, "Learning rate.", min=1e-6, max=1.0),
            Param("seed", int, 0, "Random seed.", min=0),
        ),
        entry="ml.lm.experiment:train_tiny",
        queue="gpu",
    )
)

register(
    Experiment(
        name="testing.count",
        title="Count (test experiment)",
        description="Counts to `steps`, reporting progress each step; writes a metrics JSON and a PNG plot. "
        "Cheap, for testing workers, pages and the API.",
        params=(
            Param("steps", int, 10, "How many steps to count.", min=1, max=100_000),
            Param("sleep_s", float, 0.0, "Seconds to sleep at each step.", min=0.0, max=60.0),
            Param("fail_at", int, -1, "Raise an error at this step; -1 never fails.", min=-1),
        ),
        entry="ml.testing:count",
        queue="cpu",
    )
)
