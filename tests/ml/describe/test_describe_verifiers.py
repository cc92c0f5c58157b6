import numpy as np
import pytest

from ml.describe.verifiers import VERIFIERS, EmbeddingVerifier, LMVerifier, TrainedVerifier, make_verifier

TEXTS = [
    "The striker scored twice in the cup final.",
    "We ate pizza and pasta for dinner.",
    "Shares fell sharply after the earnings report.",
]


def test_embedding_verifier_prefers_the_matching_hypothesis(embedding_verifier):
    grid = embedding_verifier.scores(["is about sports", "is about food", "is about finance"], TEXTS)
    assert grid.shape == (3, 3) and ((grid >= 0) & (grid <= 1)).all()
    # each text's own topic scores highest, for each text and for each hypothesis
    assert (grid.argmax(axis=0) == [0, 1, 2]).all() and (grid.argmax(axis=1) == [0, 1, 2]).all()
    # texts are embedded once and reused
    assert all(t in embedding_verifier.encoder._cache for t in TEXTS)
    assert embedding_verifier.scores([], TEXTS).shape == (0, 3)


def test_embedding_verifier_mapping_and_calibration(encoder_path):
    verifier = EmbeddingVerifier(encoder_path, device="cpu")
    cos = verifier.cosines(["is about sports"], TEXTS)
    expected = 1 / (1 + np.exp(-15.0 * (cos - 0.15)))
    assert verifier.scores(["is about sports"], TEXTS) == pytest.approx(expected)
    judgments = [
        ("is about sports", TEXTS[0], 1),
        ("is about sports", TEXTS[1], 0),
        ("is about sports", TEXTS[2], 0),
    ]
    judgments += [
        ("is about food", TEXTS[1], 1),
        ("is about food", TEXTS[0], 0),
        ("is about food", TEXTS[2], 0),
    ]
    verifier.calibrate(judgments)
    assert verifier.slope > 0
    grid = verifier.scores(["is about sports", "is about food"], TEXTS)
    assert grid[0, 0] > 0.5 > grid[0, 2] and grid[1, 1] > 0.5 > grid[1, 2]


def test_lm_verifier_probabilities_and_batching(lm_path):
    # SmolLM2-135M answers Yes/No at near chance on these (checked by hand: its P(yes) hardly moves
    # with the sentence), so only what holds for any model is asserted: valid probabilities, and the
    # same numbers however the prompts are batched (left padding must not change them).
    verifier = LMVerifier(lm_path, device="cpu", batch_size=4)
    hypotheses = ["is about sports", "mentions food"]
    grid = verifier.scores(hypotheses, TEXTS)
    assert grid.shape == (2, 3) and ((grid > 0) & (grid < 1)).all()
    verifier.batch_size = 1
    assert verifier.scores(hypotheses, TEXTS) == pytest.approx(grid, abs=1e-4)
    prompt = verifier.prompt("is about sports", "Line one\nline two")
    assert "Is it true that this sentence is about sports?" in prompt and '"Line one line two"' in prompt
    assert prompt.endswith("<|im_start|>assistant\n")  # SmolLM2's chat template: the answer comes next
    assert verifier.yes_ids and verifier.no_ids and not set(verifier.yes_ids) & set(verifier.no_ids)


def toy_judgments():
    sports = ["The striker scored a goal.", "Our team won the match.", "The keeper saved a penalty."]
    food = ["We baked fresh bread.", "The soup needs more salt.", "She cooked pasta for dinner."]
    out = []
    for h, yes, no in (("is about sports", sports, food), ("is about food", food, sports)):
        out += [(h, t, 1) for t in yes] + [(h, t, 0) for t in no]
    return out


def test_trained_verifier_learns_and_round_trips(encoder_path, tmp_path):
    judgments = toy_judgments()
    verifier = TrainedVerifier(encoder_path, l2=0.01, device="cpu").fit(judgments)
    hypotheses = ["is about sports", "is about food"]
    texts = [t for _, t, _ in judgments[:6]]
    grid = verifier.scores(hypotheses, texts)
    labels = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]])
    assert ((grid > 0.5) == labels).all()
    path = verifier.save(tmp_path / "verifier.npz")
    loaded = TrainedVerifier.load(path, device="cpu")
    assert loaded.scores(hypotheses, texts) == pytest.approx(grid)
    assert loaded.n_train == len(judgments)
    assert make_verifier("trained", trained=path, encoder=encoder_path).scores(
        hypotheses, texts
    ) == pytest.approx(grid)
    with pytest.raises(RuntimeError, match="not fitted"):
        TrainedVerifier(encoder_path, device="cpu").scores(hypotheses, texts)
    with pytest.raises(ValueError, match="label 0 or 1"):
        TrainedVerifier(encoder_path, device="cpu").fit([("h", "t", 2)])
    (tmp_path / "other.npz").write_bytes(b"not a verifier")
    with pytest.raises(ValueError):
        TrainedVerifier.load(tmp_path / "other.npz")


def test_verifier_registry(encoder_path):
    assert set(VERIFIERS) == {"embedding", "lm", "trained"}
    assert isinstance(make_verifier("embedding", encoder=encoder_path, lm="unused"), EmbeddingVerifier)
    with pytest.raises(ValueError, match="unknown verifier"):
        make_verifier("oracle")
    with pytest.raises(ValueError, match="needs the path"):
        make_verifier("trained", encoder=encoder_path)
