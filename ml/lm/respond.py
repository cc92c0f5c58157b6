"""lm.generate_outputs: answer a set of prompts with several local models, for a rating study.

The output, `outputs.jsonl`, has one line per (prompt, model): {"prompt_id", "prompt", "model",
"output"}, which is the format a rating study imports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn
from ml.lm.experiment import read_jsonl_records


def generate_outputs(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    from ml.lm.device import pick_device
    from ml.lm.generate import sample
    from ml.lm.loading import load_model

    if not params["prompts"]:
        raise ParamError("prompts", "give a JSONL file with 'prompt_id' and 'prompt' fields")
    prompts = read_jsonl_records(params["prompts"], ("prompt_id", "prompt"))
    models = [m.strip() for m in params["models"].split(",") if m.strip()]
    if len(models) < 2:
        raise ParamError("models", "name at least two local model directories, separated by commas")
    for model_dir in models:
        if not Path(model_dir).exists():
            raise ParamError("models", f"no local model at {model_dir}")
    device = pick_device()
    lines = []
    for n, model_dir in enumerate(models):
        model, tokenizer = load_model(model_dir, device=device)
        texts = [record["prompt"] for record in prompts]
        outputs = sample(
            model,
            tokenizer,
            texts,
            max_new_tokens=params["max_new_tokens"],
            temperature=params["temperature"],
            stop=("\n\n",),
            seed=params["seed"],
        )
        name = Path(model_dir).name
        for record, (output,) in zip(prompts, outputs, strict=True):
            lines.append(
                {
                    "prompt_id": record["prompt_id"],
                    "prompt": record["prompt"],
                    "model": name,
                    "output": output.strip(),
                }
            )
        report((n + 1) / len(models), f"{name}: {len(prompts)} outputs")
        del model
    out = workdir / "outputs.jsonl"
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    metrics = {
        "prompts": len(prompts),
        "models": [Path(m).name for m in models],
        "outputs": len(lines),
        "device": str(device),
    }
    return ExperimentResult(metrics, [ArtifactOut(out, "dataset", "outputs.jsonl")])
