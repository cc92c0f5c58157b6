"""`search.train` and `search.sweep`: train the models, then measure accuracy against test-time budget.

One seed runs the whole chain on disjoint problems (`search.train` does steps 1, 2 and the training of
6 and 7 and saves the models; a sweep given `trained` reuses them):

1. the policy learns from slipped solutions of the train problems;
2. it samples solutions to other train problems; Monte Carlo rollouts label their steps; a PRM learns
   those soft labels and an ORM the final-answer correctness of the same solutions;
3. on validation and test problems it samples a pool of `max(budgets)` solutions each, scored by both
   verifiers (PRM steps aggregated by last, min and product), from which majority, best-of-N and
   weighted best-of-N are measured at every budget by random subsampling;
4. beam search (width M, lookahead 0 and 1) runs separately for every budget;
5. difficulty bins (oracle: pass@1 of the pool; predicted: mean PRM score of a few samples) and
   compute-optimal selection per bin, chosen on validation and scored on test, against weighted
   best-of-N;
6. a revision model (the policy fine-tuned on its own wrong-then-right samples): sequential, balanced
   and parallel chains at every budget;
7. a FLOPs-matched comparison with a policy about 14 times larger trained on the same data.

Two stages run in child processes, so that a seed keeps both cores of a small machine busy: the larger
policy trains beside everything else (LargePolicyProcess), and a helper runs the revision chains beside
the pools and beam search, then takes the beam-search jobs the parent has not reached (HelperProcess,
BeamJobs).

`ml.search.report` pools the seeds into summary.json (bootstrap CIs) and the plots.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ml.experiments import (
    ArtifactOut,
    ExperimentResult,
    ParamError,
    ProgressFn,
    parse_seeds,
    scaled,
    with_preset,
)

SMOKE = {
    "train_problems": 600,
    "prm_problems": 40,
    "validation_problems": 12,
    "test_problems": 12,
    "policy_steps": 150,
    "prm_steps": 60,
    "rollouts": 2,
    "budgets": "1,2,4",
    "n_embd": 32,
    "max_operands": 3,
    "revision_samples": 4,
    "revision_steps": 30,
    "large_n_embd": 128,
    "difficulty_samples": 2,
}
MODEL_NAMES = ("policy", "prm", "orm", "prm_oracle", "revision", "large")
# the strategies compute-optimal selection chooses among per bin (the paper's search settings)
STRATEGIES = ("majority", "best_of_n_prm", "weighted_best_of_n_prm", "beam_k0", "beam_k1")
BASELINE = "weighted_best_of_n_prm"


def parse_budgets(raw: str) -> list[int]:
    try:
        budgets = sorted({int(b) for b in raw.split(",") if b.strip()})
    except ValueError:
        raise ParamError("budgets", f"comma-separated integers, got {raw!r}") from None
    if not budgets or budgets[0] < 1 or budgets[-1] > 256:
        raise ParamError("budgets", "budgets between 1 and 256")
    return budgets


def domain_params(params: dict[str, Any]) -> dict[str, int]:
    return {key: params[key] for key in ("max_operands", "max_operand", "max_value")}


def problems(params: dict[str, Any], seed: int):
    """The domain and a seed's disjoint problem sets: policy training, PRM labelling, validation, test."""
    from ml.search.tasks import ArithmeticChains, make_splits

    domain = ArithmeticChains(**domain_params(params))
    n_policy = params["train_problems"]
    splits = make_splits(
        domain,
        seed,
        {
            "train": n_policy + params["prm_problems"],
            "validation": params["validation_problems"],
            "test": params["test_problems"],
        },
    )
    return domain, {
        "policy": splits["train"][:n_policy],
        "prm": splits["train"][n_policy:],
        "validation": splits["validation"],
        "test": splits["test"],
    }


@dataclass
class Models:
    policy: Any
    tokenizer: Any
    prm: Any
    orm: Any
    prm_oracle: Any | None  # the PRM trained on exact step labels (None without oracle_prm)
    revision: Any
    large: Any | None  # the ~14x larger policy of the FLOPs-matched comparison
    info: dict[str, Any]  # training times and data sizes


def policy_of_width(params, domain, policy_problems, seed: int, n_embd: int, report=None):
    """A policy of the sweep's shape (2 layers, 4 heads) and the given width, trained on the seed's
    policy problems: the small policy and the ~14x larger one differ only in width."""
    from ml.search.policy import train_policy

    return train_policy(
        domain, policy_problems, slip_rate=params["slip_rate"], steps=params["policy_steps"], seed=seed,
        n_layer=2, n_embd=n_embd, n_head=4, report=report,
    )  # fmt: skip


def train_models(params: dict[str, Any], seed: int, report: ProgressFn) -> Models:
    """The policy, then PRM and ORM on its labelled samples, and the revision model. The larger policy
    comes from a LargePolicyProcess started beside this (see `with_large_policy`)."""
    domain, sets = problems(params, seed)
    times: dict[str, float] = {}
    started = time.perf_counter()
    policy, tokenizer = policy_of_width(
        params, domain, sets["policy"], seed, params["n_embd"], scaled(report, 0.0, 0.5)
    )
    times["policy"] = time.perf_counter() - started

    started = time.perf_counter()
    labelled = label_solutions(params, policy, tokenizer, domain, sets["prm"], seed)
    verifiers, best_steps = train_verifiers(params, policy, tokenizer, labelled, seed)
    times["verifiers"] = time.perf_counter() - started
    report(0.8, "verifiers trained")

    started = time.perf_counter()
    revision, pairs = train_revision_model(params, policy, tokenizer, domain, sets["prm"], seed)
    times["revision"] = time.perf_counter() - started
    report(1.0, "revision model trained")
    info = {
        "seconds": {k: round(v, 1) for k, v in times.items()},
        "prm_training_solutions": len(labelled["mc"][0]),
        "verifier_validation_solutions": len(labelled["mc"][1]),
        "verifier_best_steps": best_steps,  # early stopping's pick, of prm_steps
        "revision_training_pairs": pairs,
        "domain": domain_params(params),
    }
    return Models(
        policy=policy, tokenizer=tokenizer, revision=revision, large=None, info=info,
        prm=verifiers["prm"], orm=verifiers["orm"], prm_oracle=verifiers.get("prm_oracle"),
    )  # fmt: skip


def with_large_policy(models: Models, large_policy: LargePolicyProcess, report: ProgressFn) -> None:
    """Wait for the larger policy trained beside the rest (if any) and add it to the models."""
    if large_policy:
        report(0.0, "waiting for the larger policy")
        models.large, seconds = large_policy.result()
        models.info["seconds"]["large_policy"] = round(seconds, 1)


class ChildStage:
    """One stage of a seed, run in a child process beside the parent's own work: on two cores this
    takes the stage off the parent's critical path. The child (`python -m ml.search.pipeline STAGE
    FOLDER SEED`) reads params.json and whatever `prepare(folder)` wrote there, and leaves its result in
    FOLDER. A fresh interpreter (not fork) keeps it safe inside a Celery worker; leaving the block early
    (an error, a cancelled run) kills the child. The parent uses one torch thread fewer until `wait()`.

    Falsy when not `enabled` (nothing is started)."""

    stage = ""
    what = ""  # for error messages

    def __init__(self, params: dict[str, Any], seed: int, enabled: bool = True, prepare=None):
        self.params, self.seed, self.enabled, self.prepare = params, seed, enabled, prepare
        self.process = None

    def __bool__(self) -> bool:
        return self.enabled

    def __enter__(self):
        import os
        import subprocess
        import sys
        import tempfile

        import torch

        if self:
            self.folder = Path(tempfile.mkdtemp(prefix=f"assay-{self.stage}-"))
            (self.folder / "params.json").write_text(json.dumps(self.params))
            if self.prepare is not None:
                self.prepare(self.folder)
            self.log = open(self.folder / "log.txt", "w")  # noqa: SIM115 (closed in __exit__)
            command = [
                sys.executable, "-m", "ml.search.pipeline", self.stage, str(self.folder), str(self.seed)
            ]  # fmt: skip
            root = str(Path(__file__).resolve().parents[2])  # importable whatever the worker's directory
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
            }
            self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
            # while the child runs, the parent leaves it a core (torch would use them all)
            self.threads = torch.get_num_threads()
            torch.set_num_threads(max(1, self.threads - 1))
        return self

    def _give_back_threads(self) -> None:
        import torch

        torch.set_num_threads(self.threads)

    def wait(self) -> tuple[Path, float]:
        """Wait for the child; the folder holding its result, and the seconds its work took."""
        self.process.wait()
        self._give_back_threads()
        if self.process.returncode != 0:
            tail = (self.folder / "log.txt").read_text()[-2000:]
            raise RuntimeError(f"{self.what} failed (exit {self.process.returncode}):\n{tail}")
        return self.folder, json.loads((self.folder / "seconds.json").read_text())

    def __exit__(self, *exc) -> None:
        import shutil

        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._give_back_threads()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class LargePolicyProcess(ChildStage):
    """The ~14x larger policy of the FLOPs-matched comparison, trained in a child process while the
    parent trains the rest: it is independent of them and costs as much as all of them together.
    Not started when `large_n_embd` is 0 (no larger policy)."""

    stage, what = "large-policy", "training the larger policy"

    def __init__(self, params: dict[str, Any], seed: int):
        super().__init__(params, seed, enabled=bool(params["large_n_embd"]))

    def result(self) -> tuple[Any, float]:
        """The trained model and its training seconds."""
        from ml.lm.loading import load_model

        folder, seconds = self.wait()
        model, _ = load_model(folder / "model")
        return model, seconds


class HelperProcess(ChildStage):
    """The parent's helper while it runs the pools and beam search: the revision chains on the test
    problems (`run_revisions`), then whichever beam-search jobs the parent has not claimed yet
    (BeamJobs), so that neither core idles at the end. It needs the policy, the PRM, the revision model
    and the ORM, saved for it."""

    stage, what = "helper", "the revision chains and shared beam search"

    def __init__(self, params: dict[str, Any], seed: int, models: Models):
        needed = replace(models, prm_oracle=None, large=None)
        super().__init__(params, seed, prepare=lambda folder: save_models(needed, folder / "models"))

    def result(self) -> tuple[dict[str, Any], float]:
        """run_revisions' result and the seconds the chains took (the beam jobs are BeamJobs')."""
        folder, _ = self.wait()
        revisions = json.loads((folder / "revisions.json").read_text())
        return revisions, revisions.pop("seconds")


class BeamJobs:
    """Beam search at every (split, lookahead, budget), shared by the parent and its HelperProcess
    through a folder. Whoever creates a job's claim file first runs that job and saves its per-problem
    results there. Both take the jobs largest first, so they finish within one small job of each other.
    A job's results do not depend on who runs it: every prefix has its own sampling seed."""

    def __init__(self, folder: Path, params: dict[str, Any], sets: dict[str, list]):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        jobs = [(split, k, n) for split in ("validation", "test") for k in (0, 1) for n in params["budgets"]]
        # cost in step generations per round: problems x N x (k + 1)
        self.jobs = sorted(jobs, key=lambda job: -len(sets[job[0]]) * job[2] * (job[1] + 1))

    def _path(self, job: tuple[str, int, int], suffix: str) -> Path:
        split, k, n = job
        return self.folder / f"{split}_k{k}_n{n}{suffix}"

    def _claim(self, job: tuple[str, int, int]) -> bool:
        import os

        try:  # an exclusive create is atomic, so two processes never both win a job
            os.close(os.open(self._path(job, ".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    def run(self, params, models: Models, domain, sets, seed: int) -> int:
        """Run every job not yet claimed; how many this process ran."""
        from ml.search.beam import lm_step_sampler, prm_prefix_scorer

        sampler = lm_step_sampler(models.policy, models.tokenizer)
        scorer = prm_prefix_scorer(models.prm, models.tokenizer, "last")
        ran = 0
        for job in self.jobs:
            if self._claim(job):
                split, k, n = job
                correct = beam_accuracy(params, sampler, scorer, domain, sets[split], k, n, seed)
                np.save(self._path(job, ".npy"), correct)
                ran += 1
        return ran

    def collect(self, curves: dict[str, dict[str, dict[int, np.ndarray]]]) -> None:
        """Add every job's results to the curves, budgets in order (once both processes are done)."""
        for split, k, n in sorted(self.jobs):
            curves[split].setdefault(f"beam_k{k}", {})[n] = np.load(self._path((split, k, n), ".npy"))


def beam_accuracy(params, sampler, scorer, domain, problem_set, k: int, n: int, seed: int) -> np.ndarray:
    """Beam search (width M, lookahead k) at budget n on each problem; 1.0 where weighted best-of-N over
    its finished candidates picks the right answer."""
    from ml.search.beam import beam_search
    from ml.search.select import weighted_best_of_n

    width = params["beam_width"]
    m = min(width, n)
    # a solution has at most max_operands steps (the answer line included): twice that is plenty, and
    # stops rambling candidates from running to the paper's 40 rounds
    results = beam_search(
        [domain.prompt(p) for p in problem_set], sampler, scorer, n=n, m=m if n % m == 0 else 1,
        lookahead=k, seed=seed, max_rounds=2 * params["max_operands"],
    )  # fmt: skip
    correct = []
    for problem, result in zip(problem_set, results, strict=True):
        answers = [domain.answer("".join(c.steps)) for c in result.finished]
        chosen = weighted_best_of_n(answers, [c.score for c in result.finished])
        correct.append(float(chosen == problem.answer))
    return np.array(correct)


def train_large_policy(params: dict[str, Any], folder: Path, seed: int) -> None:
    """LargePolicyProcess's child: train on the seed's policy problems, save to folder."""
    domain, sets = problems(params, seed)
    large, tokenizer = policy_of_width(params, domain, sets["policy"], seed, params["large_n_embd"])
    large.save_pretrained(folder / "model")
    tokenizer.save_pretrained(folder / "model")


def helper_stage(params: dict[str, Any], folder: Path, seed: int) -> None:
    """HelperProcess's child: the revision chains on the seed's test problems, then the beam jobs left."""
    domain, sets = problems(params, seed)
    models = load_models(folder / "models")
    started = time.perf_counter()
    result = run_revisions(params, models, domain, sets["test"], seed)
    result["seconds"] = time.perf_counter() - started
    (folder / "revisions.json").write_text(json.dumps(result))
    BeamJobs(folder / "beam", params, sets).run(params, models, domain, sets, seed)


STAGES = {"large-policy": train_large_policy, "helper": helper_stage}


def run_child_stage(stage: str, folder: Path, seed: int) -> None:
    """The child's side of a ChildStage: one torch thread (the parent has the other core), the stage on
    the parent's params, and the seconds it took."""
    import torch

    torch.set_num_threads(1)
    params = json.loads((folder / "params.json").read_text())
    started = time.perf_counter()
    STAGES[stage](params, folder, seed)
    (folder / "seconds.json").write_text(json.dumps(time.perf_counter() - started))


def label_solutions(params, policy, tokenizer, domain, labelling_problems, seed: int, kinds=("mc", "oracle")):
    """The policy's samples on the labelling problems, each labelled twice: by Monte Carlo rollouts
    ("mc") and exactly by the domain's step checker ("oracle"). Each labelling is split into training
    data and the held-out tenth of the problems (all their samples) that verifiers early-stop on.
    `kinds` narrows the labellings (a benchmark of the exact-label PRM alone skips the rollouts)."""
    from ml.search.policy import sample_solutions
    from ml.search.verifiers import Labelled, mc_step_labels, oracle_step_labels, split_steps

    prompts = [domain.prompt(p) for p in labelling_problems]
    sampled = sample_solutions(policy, tokenizer, prompts, n=params["labelled_samples"], seed=seed)
    items = [
        (p, split_steps(text)) for p, per in zip(labelling_problems, sampled, strict=True) for text, _ in per
    ]
    items = [(p, steps) for p, steps in items if steps]
    labellers = {
        "mc": lambda: mc_step_labels(
            policy, tokenizer, domain, items, rollouts=params["rollouts"], seed=seed
        ),
        "oracle": lambda: [oracle_step_labels(domain, p, steps) for p, steps in items],
    }
    by_kind = {kind: labellers[kind]() for kind in kinds}
    n_held = max(1, len(labelling_problems) // 10)
    held_out = {p.text for p in random.Random(seed).sample(list(labelling_problems), n_held)}
    labelled = {}
    for kind, labels in by_kind.items():
        data, validation = [], []
        for (p, steps), lab in zip(items, labels, strict=True):
            (validation if p.text in held_out else data).append(Labelled(domain.prompt(p), steps, lab))
        labelled[kind] = (data, validation)
    return labelled


# verifier name -> (the labelling it learns, outcome only); the ORM reads the Monte Carlo labelling's
# last label, the final answer's correctness
VERIFIERS = {"prm": ("mc", False), "orm": ("mc", True), "prm_oracle": ("oracle", False)}


def train_verifiers(params, policy, tokenizer, labelled, seed: int):
    """The PRM and the ORM on Monte Carlo labels and, with `oracle_prm`, a PRM on exact step labels (an
    upper bound on what better labels buy); those whose labelling is missing are skipped. Each is a
    scalar head on a backbone that starts as a fresh model of the policy's size or, with
    `verifier_init=policy`, as a copy of the policy (the paper fine-tunes its verifiers from the base
    model, so they begin knowing the arithmetic). Returns them and the steps early stopping kept."""
    import copy

    from ml.distill.supervised import tiny_char_model
    from ml.search.policy import ALPHABET
    from ml.search.verifiers import StepScorer, train_scorer

    verifiers, best_steps = {}, {}
    for name, (kind, outcome_only) in VERIFIERS.items():
        if kind not in labelled or (name == "prm_oracle" and not params["oracle_prm"]):
            continue
        if params["verifier_init"] == "policy":
            backbone = copy.deepcopy(policy)
        else:
            size = {
                "n_layer": policy.config.n_layer,
                "n_embd": policy.config.n_embd,
                "n_head": policy.config.n_head,
            }
            backbone, _ = tiny_char_model(ALPHABET, block_size=160, **size)
        verifiers[name] = StepScorer(backbone.to(policy.device))
        data, validation = labelled[kind]
        log = train_scorer(
            verifiers[name], tokenizer, data, outcome_only=outcome_only, steps=params["prm_steps"], seed=seed,
            lr=params["verifier_lr"], validation=validation,
        )  # fmt: skip
        best_steps[name] = log.best_step
    return verifiers, best_steps


def train_revision_model(params, policy, tokenizer, domain, train_problems, seed: int):
    """A copy of the policy fine-tuned on chains of its own wrong attempts followed by a right one."""
    import copy

    from ml.distill.supervised import train_pairs
    from ml.search.policy import sample_solutions
    from ml.search.revisions import revision_examples

    rng = random.Random(seed)
    prompts = [domain.prompt(p) for p in train_problems]
    samples = sample_solutions(policy, tokenizer, prompts, n=params["revision_samples"], seed=seed + 1)
    pairs = []
    for problem, prompt, per in zip(train_problems, prompts, samples, strict=True):
        texts = [t for t, _ in per]
        # a problem the policy never solved still teaches revising, towards the reference solution
        right = [t for t in texts if domain.answer(t) == problem.answer] or [domain.solution(problem)]
        wrong = [t for t in texts if domain.answer(t) != problem.answer]
        pairs += revision_examples(prompt, right, wrong, rng)
    model = copy.deepcopy(policy)
    train_pairs(model, tokenizer, pairs, params["revision_steps"], batch_size=32, lr=1e-3, seed=seed)
    return model, len(pairs)


def save_models(models: Models, folder: Path) -> None:
    """Each model as a Hugging Face directory (the verifiers' scalar heads beside their backbones)."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_NAMES:
        model = getattr(models, name)
        if model is None:
            continue
        backbone = model.backbone if name in VERIFIERS else model
        backbone.save_pretrained(folder / name)
        models.tokenizer.save_pretrained(folder / name)
        if name in VERIFIERS:
            torch.save(model.head.state_dict(), folder / name / "value_head.pt")
    (folder / "train.json").write_text(json.dumps(models.info, indent=2) + "\n")


def load_models(folder: Path) -> Models:
    import torch

    from ml.lm.loading import load_model
    from ml.search.verifiers import StepScorer

    loaded = {}
    for name in MODEL_NAMES:
        if not (folder / name).is_dir():
            loaded[name] = None
            continue
        model, tokenizer = load_model(folder / name)
        if name in VERIFIERS:
            model = StepScorer(model)
            model.head.load_state_dict(
                torch.load(folder / name / "value_head.pt", map_location=model.backbone.device)
            )
            model.head.to(model.backbone.device)
        loaded[name] = model
        loaded["tokenizer"] = tokenizer
    info = json.loads((folder / "train.json").read_text())
    return Models(info=info, **loaded)


def trained_models(params: dict[str, Any], seed: int, report: ProgressFn) -> Models:
    """The models of a `search.train` run when `trained` names its folder; otherwise train them here."""
    if not params["trained"]:
        return train_models(params, seed, report)
    folder = Path(params["trained"]).expanduser() / f"seed_{seed}"
    if not (folder / "train.json").is_file():
        raise ParamError("trained", f"no search.train models for seed {seed} in {folder.parent}")
    # runs from before max_value existed learned uncapped chains
    learned = {"max_value": 0, **json.loads((folder / "train.json").read_text())["domain"]}
    domain = domain_params(params)
    if learned != domain:
        raise ParamError("trained", f"those models learned the domain {learned}, not {domain}")
    return load_models(folder)


def _pools(models: Models, domain, problem_set, n: int, seed: int):
    """n sampled solutions per problem, scored by every verifier; one Pool per selection score."""
    from ml.search.budget import Pool
    from ml.search.policy import sample_solutions
    from ml.search.select import aggregate
    from ml.search.verifiers import score_steps, split_steps

    tokenizer = models.tokenizer
    samples = sample_solutions(
        models.policy, tokenizer, [domain.prompt(p) for p in problem_set], n=n, seed=seed
    )
    rows = [
        (domain.prompt(p), split_steps(text))
        for p, per in zip(problem_set, samples, strict=True)
        for text, _ in per
    ]
    step_scores = {
        name: score_steps(getattr(models, name), tokenizer, rows)
        for name in VERIFIERS
        if getattr(models, name) is not None
    }
    scorings = {
        "prm": ("prm", "last"), "prm_min": ("prm", "min"), "prm_prod": ("prm", "prod"), "orm": ("orm", "last"),
        "prm_oracle": ("prm_oracle", "last"), "prm_oracle_min": ("prm_oracle", "min"),
    }  # fmt: skip
    scorings = {name: used for name, used in scorings.items() if used[0] in step_scores}
    pools: dict[str, list] = {name: [] for name in scorings}
    tokens = [k for per in samples for _, k in per]
    for i, (problem, per) in enumerate(zip(problem_set, samples, strict=True)):
        answers = [domain.answer(text) for text, _ in per]
        for name, (verifier, how) in scorings.items():
            scores = [aggregate(s, how) if s else 0.0 for s in step_scores[verifier][i * n : (i + 1) * n]]
            pools[name].append(Pool(answers, scores, problem.answer))
    return pools, float(np.mean(tokens))


def run_seed(params: dict[str, Any], seed: int, report: ProgressFn) -> dict[str, Any]:
    """One seed's sweep. When it trains its own models, the larger policy trains in a child process
    through all of it (it is needed only by the FLOPs-matched comparison at the end)."""
    own = params if not params["trained"] else {**params, "large_n_embd": 0}
    with LargePolicyProcess(own, seed) as large_policy:
        return _run_seed(params, seed, report, large_policy)


def _run_seed(params, seed: int, report: ProgressFn, large_policy: LargePolicyProcess) -> dict[str, Any]:
    from ml.search.budget import compute_optimal, cross_validated, difficulty_bins, efficiency_multiplier

    models = trained_models(params, seed, scaled(report, 0.0, 0.4))
    domain, sets = problems(params, seed)
    budgets = params["budgets"]
    with HelperProcess(params, seed, models) as helper:  # on the other core, beside the search
        curves, stats, times = _pool_curves(params, models, domain, sets, seed)
        report(0.55, "pools scored")
        started = time.perf_counter()
        beam = BeamJobs(helper.folder / "beam", params, sets)
        ran = beam.run(params, models, domain, sets, seed)
        report(0.75, "beam search done here; waiting for the helper (revision chains, its beam jobs)")
        revision, times["revisions"] = helper.result()
        beam.collect(curves)
        times["beam"] = time.perf_counter() - started  # until every job is in, the helper's too
    report(0.9, "revisions done")

    with_large_policy(models, large_policy, scaled(report, 0.9, 0.95))
    started = time.perf_counter()
    matched = (
        flops_matched(models, domain, sets["test"], curves["test"], stats, seed) if models.large else None
    )
    times["flops_matched"] = time.perf_counter() - started

    summary: dict[str, Any] = {
        "seed": seed,
        "difficulty_samples": params["difficulty_samples"],
        "training": models.info,
        "times": {k: round(v, 1) for k, v in times.items()},
        "revisions": revision,
        "beam_jobs_in_helper": len(beam.jobs) - ran,
        "flops_matched": matched,
        "test_pass_at_1": float(np.mean(stats["test"]["pass_at_1"])),
        "mean_tokens_per_solution": stats["test"]["mean_tokens"],
    }
    summary["test_accuracy"] = {
        m: {n: float(v[n].mean()) for n in budgets} for m, v in curves["test"].items()
    }
    summary["per_problem"] = {m: {n: v[n].tolist() for n in budgets} for m, v in curves["test"].items()}
    baseline = {n: float(curves["test"][BASELINE][n].mean()) for n in budgets}
    candidates = {split: {s: curves[split][s] for s in STRATEGIES} for split in curves}
    summary["bins"] = {}
    for kind, statistic in (("oracle", "pass_at_1"), ("predicted", "mean_prm")):
        selection_bins = difficulty_bins(stats["validation"][statistic])
        test_bins = difficulty_bins(stats["test"][statistic])
        summary["bins"][kind] = test_bins.tolist()
        optimal = {}
        for n in budgets:
            accuracy, choice = compute_optimal(
                candidates["validation"], selection_bins, candidates["test"], test_bins, n
            )
            # how many weighted best-of-N generations it takes to match this accuracy, per generation spent
            row = {
                "accuracy": accuracy,
                "choice": choice,
                "cross_validated_accuracy": cross_validated(candidates["test"], test_bins, n, seed=seed),
                "efficiency_multiplier": efficiency_multiplier(accuracy, n, baseline),
            }
            if kind == "predicted":  # the samples that estimate difficulty cost generations too
                spent = n + params["difficulty_samples"]
                row["efficiency_multiplier_cost_included"] = efficiency_multiplier(accuracy, spent, baseline)
            optimal[n] = row
        summary[f"compute_optimal_{kind}"] = optimal
    return summary


def _pool_curves(params, models: Models, domain, sets, seed: int):
    """Pools (majority, best-of-N, weighted best-of-N) on validation and test: the per-problem curves of
    every pool method, each split's difficulty statistics, and the seconds spent."""
    from ml.search.budget import pool_accuracy

    budgets = params["budgets"]
    times: dict[str, float] = {}
    started = time.perf_counter()
    curves: dict[str, dict[str, dict[int, np.ndarray]]] = {}
    stats = {}
    for split in ("validation", "test"):
        pools, mean_tokens = _pools(models, domain, sets[split], budgets[-1], seed)
        curves[split] = {"majority": pool_accuracy(pools["prm"], "majority", budgets, seed=seed)}
        for scoring, pool in pools.items():
            for how in ("best_of_n", "weighted_best_of_n"):
                curves[split][f"{how}_{scoring}"] = pool_accuracy(pool, how, budgets, seed=seed)
        # predicted difficulty needs no answer key: the mean PRM score of a few samples
        rng = np.random.default_rng(seed)
        k = min(params["difficulty_samples"], budgets[-1])
        stats[split] = {
            "pass_at_1": [p.pass_at_1() for p in pools["prm"]],
            "mean_prm": [float(np.mean(rng.choice(p.scores, size=k, replace=False))) for p in pools["prm"]],
            "mean_tokens": mean_tokens,
        }
    times["pools"] = time.perf_counter() - started
    return curves, stats, times


RATIOS = (0.16, 0.79, 22.0)  # R = inference tokens / pretraining tokens, as in the paper


def flops_matched(models: Models, domain, test_problems, test_curves, stats, seed: int) -> dict[str, Any]:
    """Compare the large policy's single sample per difficulty bin with the small policy's weighted
    best-of-N at the budget that costs the same FLOPs. The PRM's scoring counts: each small-model
    generation costs (policy + PRM) parameters, so the matched generation budget shrinks by that factor."""
    from ml.search.budget import difficulty_bins
    from ml.search.flops import compute_params, matched_budget
    from ml.search.policy import sample_solutions

    small_params, large_params = compute_params(models.policy), compute_params(models.large)
    size_ratio = large_params / small_params
    per_generation = (small_params + compute_params(models.prm)) / small_params
    prompts = [domain.prompt(p) for p in test_problems]
    samples = sample_solutions(models.large, models.tokenizer, prompts, n=1, seed=seed)
    large_correct = np.array(
        [domain.answer(s[0][0]) == p.answer for p, s in zip(test_problems, samples, strict=True)], dtype=float
    )
    bins = difficulty_bins(stats["test"]["pass_at_1"])
    small_curve = test_curves[BASELINE]
    verdicts = {}
    for ratio in RATIOS:
        generations = matched_budget(size_ratio, ratio) / per_generation
        affordable = [n for n in small_curve if n <= generations]
        budget = max(affordable) if affordable else None
        per_bin = {}
        for b in np.unique(bins):
            members = bins == b
            small = float(small_curve[budget][members].mean()) if budget else None
            big = float(large_correct[members].mean())
            per_bin[int(b)] = {
                "small_test_time": small,
                "large_one_sample": big,
                "winner": None if small is None else "test-time compute" if small >= big else "pretraining",
            }
        verdicts[str(ratio)] = {
            "matched_generations": round(generations, 1),
            "budget_used": budget,
            "bins": per_bin,
        }
    return {
        "small_params": small_params,
        "large_params": large_params,
        "prm_params": compute_params(models.prm),
        "size_ratio": round(size_ratio, 2),
        "large_accuracy": float(large_correct.mean()),
        "large_per_problem": large_correct.tolist(),
        "by_ratio": verdicts,
    }


def revision_shapes(budgets) -> dict[str, dict[int, tuple[int, int]]]:
    """Per shape, the (chains, length) each budget spends: sequential is one chain, parallel is chains
    of one attempt, and balanced is about sqrt(n) chains of about sqrt(n) attempts."""
    import math

    return {
        "sequential": {n: (1, n) for n in budgets},
        "balanced": {n: (max(1, n // math.isqrt(n)), math.isqrt(n)) for n in budgets},
        "parallel": {n: (n, 1) for n in budgets},
    }


def run_revisions(params, models: Models, domain, test_problems, seed: int) -> dict[str, Any]:
    """Sequential, balanced and parallel revision chains at every budget, selected by majority or
    hierarchically by the ORM. Each shape grows one grid of chains, as many and as long as its largest
    budget needs, and a budget reads the first chains' first attempts: a chain's first n attempts are
    exactly a chain of length n, and this halves the generations against a new grid per budget."""
    from ml.search.revisions import hierarchical_select, lm_attempts, sequential_revisions
    from ml.search.select import majority
    from ml.search.verifiers import score_steps, split_steps

    generate = lm_attempts(models.revision, models.tokenizer)
    test_prompts = [domain.prompt(p) for p in test_problems]
    per_problem: dict[str, dict[int, list[float]]] = {}
    flips = [0, 0]  # (correct attempts followed by another, of which the next is wrong)
    for shape, by_budget in revision_shapes(params["budgets"]).items():
        chains = max(c for c, _ in by_budget.values())
        length = max(n for _, n in by_budget.values())
        attempts = sequential_revisions(generate, test_prompts, chains=chains, length=length, seed=seed)
        rows = [
            (prompt, split_steps(a))
            for prompt, per in zip(test_prompts, attempts, strict=True)
            for c in per
            for a in c
        ]
        scores = iter(s[-1] if s else 0.0 for s in score_steps(models.orm, models.tokenizer, rows))
        answers = [[[domain.answer(a) for a in chain] for chain in per] for per in attempts]
        orm_scores = [[[next(scores) for _ in chain] for chain in per] for per in attempts]
        for n, (c, k) in by_budget.items():
            by_majority, by_orm = [], []
            for problem, per, per_scores in zip(test_problems, answers, orm_scores, strict=True):
                used = [chain[:k] for chain in per[:c]]
                used_scores = [chain[:k] for chain in per_scores[:c]]
                by_majority.append(float(majority([a for chain in used for a in chain]) == problem.answer))
                by_orm.append(float(hierarchical_select(used, used_scores) == problem.answer))
            per_problem.setdefault(f"{shape}_majority", {})[n] = by_majority
            per_problem.setdefault(f"{shape}_orm", {})[n] = by_orm
        if shape == "sequential":
            for problem, per in zip(test_problems, answers, strict=True):
                for chain in per:
                    for before, after in zip(chain, chain[1:], strict=False):
                        if before == problem.answer:
                            flips[0] += 1
                            flips[1] += after != problem.answer
    return {
        "test_accuracy": {k: {n: float(np.mean(v)) for n, v in c.items()} for k, c in per_problem.items()},
        "per_problem": per_problem,
        "correct_to_wrong_share": flips[1] / flips[0] if flips[0] else None,
    }


def _check(params: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    params = with_preset(params, SMOKE)
    seeds = parse_seeds(params["seeds"])
    if "budgets" in params:
        params["budgets"] = parse_budgets(params["budgets"])
    return params, seeds


def train(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """`search.train`: train and save every model of the sweep, one folder per seed, so sweeps can reuse
    them (`trained=<this run's folder>`)."""
    params, seeds = _check(params)
    workdir = Path(workdir)
    infos = {}
    for i, seed in enumerate(seeds):
        seed_report = scaled(report, i / len(seeds), (i + 1) / len(seeds))
        with LargePolicyProcess(params, seed) as large_policy:  # on the other core, beside the rest
            models = train_models(params, seed, scaled(seed_report, 0.0, 0.9))
            with_large_policy(models, large_policy, scaled(seed_report, 0.9, 1.0))
        save_models(models, workdir / f"seed_{seed}")
        infos[seed] = models.info
    (workdir / "metrics.json").write_text(json.dumps({"params": params, "seeds": infos}, indent=2) + "\n")
    report(1.0, f"models of {len(seeds)} seed(s) saved")
    return ExperimentResult(
        metrics={"seeds": infos, "models_folder": str(workdir)},
        artifacts=[ArtifactOut(workdir / "metrics.json", "metrics", "metrics.json")],
    )


def sweep(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    from ml.search.report import summarise, write_plots

    params, seeds = _check(params)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs = [
        run_seed(params, s, scaled(report, i / len(seeds), (i + 1) / len(seeds))) for i, s in enumerate(seeds)
    ]
    metrics = {"runs": runs, "seconds": round(time.perf_counter() - started, 1), "params": params}
    (workdir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    runs = json.loads(json.dumps(runs))  # as a reader of metrics.json sees them: budgets as strings
    summary = summarise(runs)
    (workdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    plots = write_plots(runs, summary, workdir)
    report(1.0, f"{len(seeds)} seed(s) swept")
    return ExperimentResult(
        metrics={
            "seconds": metrics["seconds"],
            "test_accuracy": [r["test_accuracy"] for r in runs],
            "efficiency_multiplier": summary["efficiency_multiplier"],
        },
        artifacts=[
            ArtifactOut(workdir / "metrics.json", "metrics", "metrics.json"),
            ArtifactOut(workdir / "summary.json", "metrics", "summary.json"),
            *(ArtifactOut(p, "plot", p.name) for p in plots),
        ],
    )


if __name__ == "__main__":  # python -m ml.search.pipeline STAGE FOLDER SEED (a ChildStage's child)
    import sys

    if len(sys.argv) != 4 or sys.argv[1] not in STAGES:
        sys.exit(f"usage: python -m ml.search.pipeline {{{','.join(STAGES)}}} FOLDER SEED")
    run_child_stage(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
