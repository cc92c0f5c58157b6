"""Every experiment Assay can run, declared by name with its parameters.

Only declarations live here (cheap to import); the entry points load lazily.
"""

from typing import Any

from ml.experiments import Experiment, Param, ParamError, register

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

register(
    Experiment(
        name="apel.propose_candidates",
        title="APEL: propose candidate SQL with a local LM",
        description="Sample candidate programs for every question of a Spider-format folder from a local "
        "causal LM, and write them as an utterances JSONL that an APEL study imports.",
        params=(
            Param(
                "spider_dir", str, "", "Folder with dev.json, tables.json, database/; empty: the demo set."
            ),
            Param("model", str, "var/models/smollm2-135m-instruct", "A local causal LM directory."),
            Param("limit", int, 20, "How many questions (0: all).", min=0),
            Param("candidates", int, 8, "Candidates kept per question.", min=1, max=32),
            Param("seed", int, 0, "Random seed.", min=0),
        ),
        entry="ml.apel.experiments:propose_candidates",
        queue="gpu",
    )
)

register(
    Experiment(
        name="apel.simulate",
        title="APEL: simulated annotation benchmark",
        description="Run the APEL loop with a simulated annotator on a Spider-format folder, under a simulated "
        "seed-parser prior; reports accuracy, rounds, rows shown, latency and calibration.",
        params=(
            Param(
                "spider_dir", str, "", "Folder with dev.json, tables.json, database/; empty: the demo set."
            ),
            Param("limit", int, 0, "How many questions (0: all).", min=0),
            Param("eps", float, 0.1, "The simulated annotator's error rate.", min=0.0, max=0.5),
            Param(
                "prior_top1",
                float,
                0.6,
                "How often the simulated parser ranks the gold first.",
                min=0.0,
                max=1.0,
            ),
            Param("candidates", int, 8, "Candidates per question.", min=2, max=32),
            Param("tau", float, 0.9, "Stop when a program's posterior reaches this.", min=0.5, max=1.0),
            Param("max_rounds", int, 5, "At most this many databases per question.", min=1, max=20),
            Param("row_budget", int, 16, "At most this many rows per database.", min=2, max=100),
            Param("seed", int, 0, "Random seed.", min=0),
        ),
        entry="ml.apel.experiments:simulate",
    )
)

register(
    Experiment(
        name="distill.imitation",
        title="Imitation study: style vs. knowledge (tiny)",
        description="Fine-tune a weak and a strong base LM on a reference model's own answers (broad or "
        "task-specific, several amounts) in a synthetic fact world; report held-out and task-topic "
        "accuracy and a style-driven simulated crowd rater's preference vs. the reference "
        "(Gudibande et al. 2023). Writes metrics.json, three plots and ratings.jsonl.",
        params=(
            Param("seeds", str, "0,1,2", "Comma-separated seeds for bases, imitation data and fine-tuning."),
            Param("world_seed", int, 0, "Seed of the fact world and the reference model.", min=0),
            Param("amounts", str, "16,64,256,1024", "Comma-separated imitation-set sizes (examples)."),
            Param(
                "entities_per_topic",
                int,
                8,
                "Entities in each ordinary topic (half are held out).",
                min=2,
                max=200,
            ),
            Param("task_entities", int, 24, "Entities in the task topic.", min=1, max=1000),
            Param("ref_layers", int, 3, "Reference model layers.", min=1, max=48),
            Param("ref_embd", int, 96, "Reference model hidden size.", min=4, max=8192),
            Param("ref_steps", int, 900, "Reference training steps.", min=1, max=1_000_000),
            Param("strong_layers", int, 2, "Strong base layers.", min=1, max=48),
            Param("strong_embd", int, 64, "Strong base hidden size.", min=4, max=8192),
            Param("weak_layers", int, 1, "Weak base layers.", min=1, max=48),
            Param("weak_embd", int, 48, "Weak base hidden size.", min=4, max=8192),
            Param("base_steps", int, 1200, "Base pretraining steps.", min=1, max=1_000_000),
            Param(
                "ft_steps",
                int,
                300,
                "Fine-tuning steps per imitation model (the same for every amount).",
                min=1,
                max=1_000_000,
            ),
            Param(
                "replay",
                int,
                1,
                "Copies of the base's declarative pretraining sentences mixed into each imitation set "
                "(0: imitation data only; tiny models then forget what they knew).",
                min=0,
                max=100,
            ),
            Param("lr", float, 3e-3, "Pretraining learning rate.", min=1e-6, max=1.0),
            Param("ft_lr", float, 2e-3, "Imitation fine-tuning learning rate.", min=1e-6, max=1.0),
            Param("temperature", float, 0.7, "Reference sampling temperature.", min=0.0, max=5.0),
            *(
                Param(
                    f"{role}_model",
                    str,
                    "",
                    f"Local checkpoint (model directory or .gguf) to start the {label} from, instead of a "
                    "tiny model trained from scratch; its size fields are then ignored.",
                )
                for role, label in (("ref", "reference"), ("strong", "strong base"), ("weak", "weak base"))
            ),
        ),
        entry="ml.distill.imitation:run",
        queue="gpu",
    )
)

register(
    Experiment(
        name="lm.generate_outputs",
        title="Answer prompts with several models (for a rating study)",
        description="Generate one output per prompt from each of several local models; the outputs.jsonl "
        "artifact (prompt_id, prompt, model, output) is what a rating study imports.",
        params=(
            Param("prompts", str, "", "A JSONL file with 'prompt_id' and 'prompt' fields."),
            Param("models", str, "", "Two or more local model directories, separated by commas."),
            Param("max_new_tokens", int, 64, "Tokens to generate per output.", min=1, max=4096),
            Param("temperature", float, 0.7, "Sampling temperature (0: greedy).", min=0.0, max=5.0),
            Param("seed", int, 0, "Random seed.", min=0),
        ),
        entry="ml.lm.respond:generate_outputs",
        queue="gpu",
    )
)

register(
    Experiment(
        name="rl.train",
        title="RL: train a text-game agent (BC, filtered BC, MC returns, ILQL, PPO, online filtered BC)",
        description="Train a causal LM agent for a text game: offline on a task's trajectory JSONL (or a "
        "freshly generated behaviour dataset) with BC, filtered BC, MC returns or ILQL, or online against "
        "the environment with PPO or online filtered BC. Value methods and online methods start from "
        "`init_from` (a BC checkpoint) when given. Evaluates the agent, saves the checkpoint (with its "
        "value heads) to the model registry, and writes metrics.json (return, normalised score with a "
        "95% bootstrap CI) and a loss plot.",
        params=(
            Param("task", str, "maze_fo", "Task name (see ml.rl.envs)."),
            Param(
                "algorithm",
                str,
                "bc",
                "Training method.",
                choices=("bc", "filtered_bc", "mc_returns", "ilql", "ppo", "online_filtered_bc"),
            ),
            Param("dataset", str, "", "Trajectory JSONL; empty generates a behaviour dataset."),
            Param("dataset_size", int, 1000, "Episodes to generate when dataset is empty.", min=1),
            Param(
                "init_from",
                str,
                "",
                "A local checkpoint to start from (e.g. a BC run's).",
            ),
            Param(
                "top_fraction",
                float,
                0.1,
                "filtered_bc / online_filtered_bc: share of trajectories kept by return.",
                min=0.001,
                max=1.0,
            ),
            Param(
                "beta",
                float,
                4.0,
                "mc_returns / ilql: decoding logits + beta * (Q - V).",
                min=0.0,
                max=1000.0,
            ),
            Param("tau", float, 0.7, "ilql: expectile (the paper uses 0.99 on Maze).", min=0.01, max=0.999),
            Param("cql_weight", float, 0.1, "mc_returns / ilql: weight of the CQL term.", min=0.0, max=100.0),
            Param("episodes_per_iter", int, 32, "ppo / online_filtered_bc: rollouts per iteration.", min=1),
            Param("n_layer", int, 4, "Transformer layers.", min=1, max=24),
            Param("n_embd", int, 160, "Hidden size.", min=8, max=2048),
            Param("n_head", int, 4, "Attention heads.", min=1, max=32),
            Param("block_size", int, 128, "Context length in tokens.", min=64, max=4096),
            Param("tokenizer", str, "bpe", "Tokenizer trained on the data.", choices=("bpe", "char")),
            Param("steps", int, 2000, "Optimizer steps (online methods: iterations).", min=1, max=1_000_000),
            Param("batch_size", int, 16, "Windows per step.", min=1, max=4096),
            Param("lr", float, 1e-3, "Peak learning rate.", min=1e-6, max=1.0),
            Param("seed", int, 0, "Random seed.", min=0),
            Param("eval_episodes", int, 50, "Evaluation episodes after training (0: none).", min=0),
        ),
        entry="ml.rl.trainer:run_train_experiment",
        queue="gpu",
    )
)

register(
    Experiment(
        name="rl.table",
        title="RL: the task x method grid over seeds (LMRL-Gym table)",
        description="For each task and seed, generate a behaviour dataset, train BC, start every other "
        "method from that BC checkpoint, and play each agent. Writes the table (mean normalised score over "
        "seeds, a 95% CI over pooled episodes, training time and the paper's score), runs.json, and a "
        "grouped bar plot with the paper's scores marked.",
        params=(
            Param("tasks", str, "maze_fo", "Comma-separated task names."),
            Param(
                "algorithms",
                str,
                "bc,filtered_bc,mc_returns,ilql,ppo,online_filtered_bc",
                "Comma-separated methods.",
            ),
            Param("seeds", int, 3, "Seeds per cell (0..seeds-1).", min=1, max=20),
            Param("dataset_size", int, 2000, "Behaviour episodes per task and seed.", min=10),
            Param("n_layer", int, 4, "Transformer layers.", min=1, max=24),
            Param("n_embd", int, 160, "Hidden size.", min=8, max=2048),
            Param("n_head", int, 4, "Attention heads.", min=1, max=32),
            Param("block_size", int, 128, "Context length in tokens.", min=64, max=4096),
            Param("batch_size", int, 16, "Windows per step.", min=1, max=4096),
            Param("lr", float, 1e-3, "BC peak learning rate.", min=1e-6, max=1.0),
            Param("bc_steps", int, 8000, "BC steps (every method starts from BC).", min=1),
            Param("finetune_steps", int, 1500, "Steps of filtered BC, MC returns and ILQL.", min=1),
            Param("finetune_lr", float, 3e-4, "Peak learning rate after BC.", min=1e-6, max=1.0),
            Param("online_iterations", int, 20, "PPO / online filtered BC iterations.", min=1),
            Param("episodes_per_iter", int, 32, "Rollouts per online iteration.", min=1),
            Param("top_fraction", float, 0.1, "Filtered BC: share kept by return.", min=0.001, max=1.0),
            Param("ilql_tau", float, 0.7, "ILQL expectile.", min=0.01, max=0.999),
            Param("cql_weight", float, 0.1, "CQL weight (MC returns, ILQL).", min=0.0, max=100.0),
            Param("betas", str, "1,4,16", "Decoding betas tried on validation episodes (MC returns, ILQL)."),
            Param("val_episodes", int, 30, "Validation episodes per beta.", min=1),
            Param("eval_episodes", int, 100, "Test episodes per agent.", min=1),
            Param("sampled_eval", bool, True, "Also score each agent sampling at temperature 1."),
        ),
        entry="ml.rl.table:run_table_experiment",
        queue="gpu",
    )
)

register(
    Experiment(
        name="rl.evaluate",
        title="RL: evaluate a text-game agent",
        description="Play a checkpoint (greedy or sampled) for N episodes of a task; metrics.json has the mean "
        "return, normalised score with a 95% bootstrap CI, success rate and mean episode length.",
        params=(
            Param("task", str, "maze_fo", "Task name (see ml.rl.envs)."),
            Param("checkpoint", str, "", "A local model directory."),
            Param("episodes", int, 50, "Episodes to play.", min=1, max=100_000),
            Param("seed", int, 0, "Random seed (episode seeds and sampling).", min=0),
            Param("temperature", float, 0.0, "Sampling temperature (0: greedy).", min=0.0, max=5.0),
            Param("beta", float, -1.0, "Value-guided decoding beta (-1: the checkpoint's own).", min=-1.0),
        ),
        entry="ml.rl.evaluate:run_evaluate_experiment",
        queue="gpu",
    )
)

register(
    Experiment(
        name="distill.addition",
        title="Context distillation: internalise an addition scratch-pad",
        description="Train a tiny model to add up to 8-digit numbers with an instruction and a digit-by-digit "
        "scratch-pad (the teacher), a same-size model directly on the same labelled problems, and distil the "
        "teacher into direct answering from its own answers on unlabelled problems (Snell, Klein, Zhong "
        "2022). Reports accuracy by digit count for teacher, direct and student over seeds, with a plot.",
        params=(
            Param(
                "preset",
                str,
                "full",
                "'smoke' swaps in a two-minute setting (for tests).",
                choices=("full", "smoke"),
            ),
            Param("seeds", str, "0,1,2", "Comma-separated seeds."),
            Param("labelled", int, 500, "Labelled problems (teacher and direct training).", min=10),
            Param(
                "unlabelled", int, 5000, "Unlabelled problems the teacher answers for the student.", min=10
            ),
            Param("test_per_digit", int, 100, "Held-out problems per digit count (1-8).", min=1),
            Param("n_layer", int, 2, "Transformer layers.", min=1, max=24),
            Param("n_embd", int, 96, "Hidden size.", min=8, max=2048),
            Param("n_head", int, 4, "Attention heads.", min=1, max=32),
            Param("steps", int, 1000, "Training steps of the teacher and of the direct model.", min=1),
            Param("distill_steps", int, 2000, "Distillation steps.", min=1),
            Param("batch_size", int, 32, "Examples per step.", min=1, max=4096),
            Param("lr", float, 2e-3, "Peak learning rate from scratch.", min=1e-6, max=1.0),
            Param("distill_lr", float, 1e-3, "Distillation learning rate.", min=1e-6, max=1.0),
            Param(
                "mode",
                str,
                "hard",
                "Teacher answers as labels, or its distributions.",
                choices=("hard", "soft"),
            ),
            Param(
                "answer_order",
                str,
                "lsb",
                "Answer digits least or most significant first (the same for all three systems).",
                choices=("lsb", "msb"),
            ),
        ),
        entry="ml.distill.addition:run",
        queue="gpu",
    )
)

register(
    Experiment(
        name="distill.instructions",
        title="Context distillation: internalise an instruction, then overwrite it",
        description="Train a tiny model on four string tasks selected by an instruction (reverse, sort, skip, "
        "shift); distil one instruction into the weights (soft targets), then overwrite it with another. "
        "Reports the student's accuracy with no instruction against the teacher's, and what it keeps of the "
        "instructed tasks, over seeds, with a plot.",
        params=(
            Param(
                "preset",
                str,
                "full",
                "'smoke' swaps in a two-minute setting (for tests).",
                choices=("full", "smoke"),
            ),
            Param("seeds", str, "0,1,2", "Comma-separated seeds."),
            Param(
                "first",
                str,
                "reverse",
                "The instruction to internalise.",
                choices=("reverse", "sort", "skip", "shift"),
            ),
            Param(
                "second",
                str,
                "sort",
                "The instruction that overwrites it.",
                choices=("reverse", "sort", "skip", "shift"),
            ),
            Param("train_size", int, 8000, "Instructed training examples.", min=10),
            Param("test_size", int, 300, "Held-out inputs, scored on every task.", min=1),
            Param("distill_inputs", int, 2000, "Unlabelled inputs per distillation.", min=1),
            Param("n_layer", int, 2, "Transformer layers.", min=1, max=24),
            Param("n_embd", int, 96, "Hidden size.", min=8, max=2048),
            Param("n_head", int, 4, "Attention heads.", min=1, max=32),
            Param("steps", int, 4000, "Training steps of the instructed model.", min=1),
            Param("distill_steps", int, 1500, "Steps per distillation.", min=1),
            Param("batch_size", int, 32, "Examples per step.", min=1, max=4096),
            Param("lr", float, 2e-3, "Peak learning rate from scratch.", min=1e-6, max=1.0),
            Param("distill_lr", float, 1e-3, "Distillation learning rate.", min=1e-6, max=1.0),
            Param("top_k", int, 0, "Keep the teacher's top k tokens per position (0: all).", min=0),
            Param(
                "preserve_share",
                float,
                0.5,
                "Share of each distillation batch that self-distils the instructed tasks, so they are kept "
                "(0: pure context distillation).",
                min=0.0,
                max=0.9,
            ),
        ),
        entry="ml.distill.instructions:run",
        queue="gpu",
    )
)


def _attention_params(length: int, steps: int, eval_every: int, extra: tuple[Param, ...] = ()) -> tuple:
    """The parameters the four attention-learning experiments share, with per-experiment defaults."""
    return (
        Param(
            "preset",
            str,
            "full",
            "'smoke' swaps in a seconds-long setting (for tests).",
            choices=("full", "smoke"),
        ),
        Param("seeds", str, "0-7", "Seeds: comma-separated integers or ranges like 0-7."),
        Param("length", int, length, "Sequence length.", min=2, max=256),
        Param("vocab", int, 60, "Vocabulary size.", min=2, max=10_000),
        Param("hidden", int, 128, "Hidden size of encoder, decoder and attention.", min=4, max=2048),
        Param("encoder", str, "lstm", "Encoder and decoder kind.", choices=("lstm", "transformer")),
        Param("steps", int, steps, "Training steps (the budget: a seed not at 95% by then failed).", min=1),
        Param("batch_size", int, 32, "Sequences per step.", min=1, max=4096),
        Param("lr", float, 1e-3, "Adam learning rate.", min=1e-6, max=1.0),
        Param("eval_every", int, eval_every, "Steps between held-out evaluations.", min=1),
        *extra,
    )


register(
    Experiment(
        name="attention.copying",
        title="Attention learning: copying, control vs permutations",
        description="Train LSTM seq2seq models with single-head attention to copy sequences drawn freely "
        "(control) or as permutations of one fixed token set, over seeds (Snell, Zhong, Klein, Steinhardt "
        "2021). Reports the success rate and the steps to 95% held-out accuracy, with learning curves.",
        params=_attention_params(length=40, steps=1000, eval_every=25),
        entry="ml.attention.experiments:copying",
        queue="gpu",
    )
)

register(
    Experiment(
        name="attention.ktiw_lead",
        title="Attention learning: KTIW leads attention",
        description="Record, through training, KTIW accuracy (the prediction from the aligned source word "
        "alone) and attention accuracy, and how far KTIW leads (steps to half of each one's rise); also "
        "agreement between attention and the KTIW probe against a shuffled baseline.",
        params=_attention_params(
            length=40,
            steps=200,
            eval_every=5,
            extra=(
                Param(
                    "tasks",
                    str,
                    "copy_control,translation",
                    "Comma-separated from copy_control, copy_permutation, translation.",
                ),
            ),
        ),
        entry="ml.attention.experiments:ktiw_lead",
        queue="gpu",
    )
)

register(
    Experiment(
        name="attention.uniform_ktiw",
        title="Attention learning: KTIW under uniform attention",
        description="Train with attention frozen to uniform on the control and the permutation copying "
        "distributions, and compare the KTIW each learns from co-occurrence alone.",
        params=_attention_params(length=40, steps=300, eval_every=25),
        entry="ml.attention.experiments:uniform_ktiw",
        queue="gpu",
    )
)

register(
    Experiment(
        name="attention.multihead_fix",
        title="Attention learning: the multi-head fix",
        description="Find single-head initialisations that fail or succeed on permutation copying within the "
        "budget, then train multi-head models whose heads are drawn from those initialisations: all failing, "
        "one succeeding, and random mixes.",
        params=_attention_params(
            length=20,
            steps=500,
            eval_every=25,
            extra=(
                Param("heads", int, 2, "Heads per multi-head model.", min=2, max=16),
                Param("mixes", int, 8, "Models per kind of mix.", min=1, max=100),
                Param("base_seed", int, 0, "Seed of everything but the heads (shared by all runs).", min=0),
            ),
        ),
        entry="ml.attention.experiments:multihead_fix",
        queue="gpu",
    )
)


def _search_params(sweep: bool) -> tuple[Param, ...]:
    """The sizes shared by search.train and search.sweep (a sweep reusing trained models must match)."""
    budgets = (
        Param("budgets", str, "1,2,4,8,16,32,64", "Generations per problem to measure (1-256)."),
        Param("beam_width", int, 4, "Beam width M (candidates kept = N / M).", min=1, max=64),
        Param(
            "difficulty_samples",
            int,
            16,
            "Samples whose mean PRM score predicts a problem's difficulty (their cost is reported).",
            min=1,
            max=256,
        ),
        Param(
            "trained",
            str,
            "",
            "Folder of a search.train run (var/artifacts/runs/<id>) whose models to use instead of training.",
        ),
    )
    return (
        Param(
            "preset",
            str,
            "full",
            "'smoke' swaps in a minute-long setting (for tests).",
            choices=("full", "smoke"),
        ),
        Param("seeds", str, "0", "Seeds: comma-separated integers or ranges like 0-2."),
        Param("train_problems", int, 8000, "Problems the policy learns from.", min=10),
        Param("prm_problems", int, 400, "Further train problems whose samples label the PRM.", min=2),
        Param("validation_problems", int, 100, "Problems strategies are chosen on.", min=2),
        Param("test_problems", int, 500, "Problems accuracy is reported on.", min=2),
        Param(
            "policy_steps",
            int,
            4000,
            "Policy training steps (batch 64); the larger policy trains as long. At 2,000 the policy is "
            "far from trained (pass@1 0.04-0.12 against 0.43-0.46 at 4,000, bench/search_policy_seeds.py).",
            min=1,
        ),
        Param(
            "labelled_samples",
            int,
            4,
            "Policy samples per labelling problem the verifiers learn from.",
            min=1,
        ),
        Param("prm_steps", int, 800, "PRM and ORM training steps (early stopping keeps the best).", min=1),
        Param(
            "verifier_init",
            str,
            "scratch",
            "Where PRM and ORM start: a fresh model of the policy's size, or a copy of the policy (as the paper "
            "fine-tunes its base model; here no better, see bench/search_verifiers.py).",
            choices=("scratch", "policy"),
        ),
        Param("verifier_lr", float, 1e-3, "PRM and ORM learning rate.", min=1e-6, max=1.0),
        Param(
            "oracle_prm",
            bool,
            True,
            "Also train a PRM on exact step labels from the step checker (free here, where every step can be "
            "checked): an upper bound on what better labels than Monte Carlo ones buy.",
        ),
        Param("rollouts", int, 4, "Monte Carlo rollouts per step prefix.", min=1, max=64),
        Param("n_embd", int, 64, "Hidden size of policy and verifiers.", min=8, max=2048),
        Param(
            "large_n_embd",
            int,
            240,
            "Hidden size of the larger policy of the FLOPs-matched comparison (0: skip it).",
            min=0,
            max=4096,
        ),
        Param(
            "revision_samples", int, 4, "Samples per problem the revision model's chains come from.", min=1
        ),
        Param("revision_steps", int, 500, "Revision model fine-tuning steps.", min=1),
        Param("max_operands", int, 8, "Longest chain.", min=2, max=8),
        Param("max_operand", int, 20, "Largest operand of + and -.", min=2, max=999),
        Param(
            "max_value",
            int,
            100,
            "Largest running value of a chain (0: no cap); at least twice max_operand. Uncapped chains grow "
            "numbers too long for the tiny policy (test pass@1 0.05 against 0.23 at 100).",
            min=0,
            max=1_000_000,
        ),
        Param("slip_rate", float, 0.1, "Chance that a step of a training solution slips.", min=0.0, max=0.9),
        *(budgets if sweep else ()),
    )


def _check_search_domain(params: dict[str, Any]) -> None:
    """The rules the Params' bounds leave open: the domain's own on max_value, and hidden sizes that the
    models' four attention heads divide."""
    from ml.search.tasks import ArithmeticChains  # standard library only, so still cheap

    try:
        ArithmeticChains(
            max_operands=params["max_operands"],
            max_operand=params["max_operand"],
            max_value=params["max_value"],
        )
    except ValueError as error:
        raise ParamError("max_value", str(error).removeprefix("max_value: ")) from None
    for field in ("n_embd", "large_n_embd"):  # the models have 4 attention heads
        if params.get(field, 0) % 4:
            raise ParamError(field, f"a multiple of 4 (the attention heads), got {params[field]}")


register(
    Experiment(
        name="search.train",
        title="Test-time compute: train the policy, verifiers and revision model",
        description="Train, per seed, the tiny arithmetic policy, a PRM on Monte Carlo step labels, an ORM, a "
        "revision model and the larger policy of the FLOPs-matched comparison, and save them; search.sweep "
        "reuses them when its `trained` parameter names this run's folder.",
        params=_search_params(sweep=False),
        entry="ml.search.pipeline:train",
        queue="gpu",
        check=_check_search_domain,
    )
)

register(
    Experiment(
        name="search.sweep",
        title="Test-time compute: verifiers, search and budgets on arithmetic chains",
        description="Train (or reuse) a tiny policy on step-by-step arithmetic with slips, a PRM on Monte Carlo "
        "step labels and an ORM; measure majority, best-of-N and weighted best-of-N (random subsamples of one "
        "pool, with last/min/product step aggregation) and beam search with lookahead 0 and 1 at every budget, "
        "difficulty bins and compute-optimal selection chosen on validation problems, revision chains, and a "
        "FLOPs-matched comparison with a larger policy (Snell, Lee, Xu, Kumar 2024). Pooled over seeds with "
        "bootstrap CIs, in summary.json and six plots.",
        params=_search_params(sweep=True),
        entry="ml.search.pipeline:sweep",
        queue="gpu",
        check=_check_search_domain,
    )
)

register(
    Experiment(
        name="describe.run",
        title="Describe how two text corpora differ",
        description="Propose natural-language hypotheses of how corpus A differs from corpus B (or the two "
        "label values of one file), verify them on held-out samples and rank them by validity: the rate at "
        "which each holds on A minus on B, with bootstrap intervals and Holm-adjusted one-sided p-values "
        "(D3: Zhong, Snell, Klein, Steinhardt 2022). Writes report.json, report.md and a validity plot.",
        params=(
            Param("corpus_a", str, "", "JSONL or CSV of group A (D1), or one file with a label column."),
            Param("corpus_b", str, "", "JSONL or CSV of group B (D0); empty when corpus_a holds labels."),
            Param("text_field", str, "text", "Field or column holding the text."),
            Param("label_field", str, "label", "Column of the two labels, when corpus_b is empty."),
            Param(
                "proposer",
                str,
                "discriminative",
                "discriminative (word statistics and surface features) or lm (the D3 prompt).",
                choices=("discriminative", "lm"),
            ),
            Param(
                "verifier",
                str,
                "embedding",
                "embedding (MiniLM cosine), lm (asks the causal LM) or trained (a saved trained verifier).",
                choices=("embedding", "lm", "trained"),
            ),
            Param("n_hypotheses", int, 20, "Hypotheses to propose and verify.", min=1, max=200),
            Param("top_k", int, 5, "Hypotheses block-wise elimination keeps; the top shown.", min=1, max=200),
            Param("seed", int, 0, "Seed of the split, the proposer and the bootstrap.", min=0),
            Param("encoder", str, "var/models/all-minilm-l6-v2", "A local sentence encoder directory."),
            Param("lm", str, "var/models/smollm2-135m-instruct", "A local causal LM directory."),
            Param("trained_verifier", str, "", "File of a saved trained verifier (verifier=trained)."),
            Param(
                "heldout_fraction",
                float,
                0.5,
                "Share of each corpus held out to verify on.",
                min=0.1,
                max=0.9,
            ),
            Param(
                "blocks", int, 1, "Verify in blocks, eliminating as it goes (1: all at once).", min=1, max=50
            ),
            Param("rerank", bool, True, "Rank by verified validity (off: keep the proposer's order)."),
            Param(
                "featurizer",
                str,
                "tfidf",
                "Features of the classifier that picks representative samples.",
                choices=("tfidf", "minilm"),
            ),
            Param("max_samples", int, 2000, "At most this many texts per group (a seeded subsample).", min=4),
        ),
        entry="ml.describe.pipeline:run",
        queue="gpu",
    )
)

register(
    Experiment(
        name="describe.train_verifier",
        title="Describe differences: train a verifier on yes/no judgements",
        description="Fit the trained verifier (logistic regression on MiniLM pair features) to judgements of "
        "whether a hypothesis holds of a text, e.g. those people gave in a hypothesis study, and save it for "
        "describe.run's verifier=trained. Reports accuracy on a held-out share.",
        params=(
            Param("judgments", str, "", "JSONL of {hypothesis, text, label (1 yes, 0 no)}."),
            Param("encoder", str, "var/models/all-minilm-l6-v2", "A local sentence encoder directory."),
            Param(
                "heldout_fraction", float, 0.2, "Share of judgements held out to measure.", min=0.0, max=0.5
            ),
            Param("l2", float, 1.0, "L2 penalty of the logistic regression.", min=0.0, max=1000.0),
            Param("seed", int, 0, "Seed of the held-out draw.", min=0),
        ),
        entry="ml.describe.pipeline:train_verifier",
        queue="gpu",
    )
)

_CALM_SIZE = (
    Param(
        "preset",
        str,
        "full",
        "'smoke' swaps in a seconds-long setting (for tests).",
        choices=("full", "smoke"),
    ),
    Param("dataset", str, "", "Dialogue JSONL (ml.calm.data records); empty generates behaviour dialogues."),
    Param("dialogues", int, 4000, "Behaviour dialogues to generate when dataset is empty.", min=10),
    Param("steps", int, 1500, "Optimizer steps.", min=1, max=1_000_000),
    Param("batch_size", int, 32, "Dialogues per step.", min=1, max=4096),
    Param("lr", float, 1e-3, "Learning rate.", min=1e-6, max=1.0),
    Param("n_layer", int, 4, "Transformer layers.", min=1, max=24),
    Param("n_embd", int, 128, "Hidden size (a multiple of 4: four attention heads).", min=8, max=2048),
)


def _check_calm_size(params: dict[str, Any]) -> None:
    if params["n_embd"] % 4:
        raise ParamError("n_embd", "must be a multiple of 4 (the model has four attention heads)")


def _check_calm_evaluate(params: dict[str, Any]) -> None:
    from ml.calm.experiments import check_evaluate

    _check_calm_size(params)
    check_evaluate(params)


register(
    Experiment(
        name="calm.train",
        title="CALM: train a goal-aware flight-booking agent",
        description="Train a tiny agent for the flight_booking task (AirDialogue-style) on behaviour "
        "dialogues with controlled slips: CALM (the flight table as a prefix, a reward token, task "
        "relabelling of failed dialogues and an auxiliary action loss), an ablation, or the plain LM "
        "baseline. Saves the agent to the model registry, where people can play it as the customer, and "
        "reports self-play success on held-out contexts with a 95% bootstrap CI.",
        params=(
            Param("variant", str, "calm", "Which agent.", choices=("calm", "no_relabel", "no_aux", "plain")),
            Param("seed", int, 0, "Random seed (data and training).", min=0),
            Param("eval_games", int, 200, "Held-out self-play games after training (0: none).", min=0),
            *_CALM_SIZE,
        ),
        entry="ml.calm.experiments:train_entry",
        queue="gpu",
        check=_check_calm_size,
    )
)

register(
    Experiment(
        name="calm.evaluate",
        title="CALM: self-play success against the plain LM and the ablations",
        description="Self-play against the rule-based customer on held-out contexts. With a checkpoint, "
        "evaluates that agent; otherwise trains every listed variant on each seed's dialogues and compares "
        "them: success with 95% bootstrap CIs, CALM minus plain LM in points, training times, plots.",
        params=(
            Param("checkpoint", str, "", "A CALM checkpoint directory to evaluate alone."),
            Param("variants", str, "calm,plain,no_relabel,no_aux", "Comma-separated variants to compare."),
            Param("seeds", str, "0,1,2", "Comma-separated seeds."),
            Param("eval_games", int, 300, "Held-out self-play games per agent.", min=1),
            Param("workers", int, 2, "Agents trained at once, in separate processes.", min=1, max=64),
            *_CALM_SIZE,
        ),
        entry="ml.calm.experiments:evaluate_entry",
        queue="gpu",
        check=_check_calm_evaluate,
    )
)
