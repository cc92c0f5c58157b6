import math
import random

import pytest
import torch
import torch.nn.functional as F

from ml.distill.addition import (
    answer,
    held_out_problems,
    parse_answer,
    parse_scratchpad,
    problem,
    scratchpad,
    split_scratchpad,
)
from ml.distill.context import (
    answer_logits,
    build_examples,
    distill,
    hard_distill_loss,
    lm_inputs,
    soft_distill_loss,
    template_inputs,
)
from ml.distill.instructions import ALPHABET, TASKS, random_input
from ml.distill.supervised import greedy, tiny_char_model, train_pairs


def test_soft_loss_is_the_kl_between_hand_built_distributions():
    teacher = torch.tensor([[0.5, 0.25, 0.25], [0.9, 0.05, 0.05]])
    student = torch.tensor([[0.25, 0.5, 0.25], [0.9, 0.05, 0.05]])
    expected_first = 0.5 * math.log(0.5 / 0.25) + 0.25 * math.log(0.25 / 0.5)
    loss = soft_distill_loss(student.log(), teacher.log())
    assert loss.item() == pytest.approx(expected_first / 2, abs=1e-6)  # the second row matches: KL 0
    assert soft_distill_loss(teacher.log(), teacher.log()).item() == pytest.approx(0.0, abs=1e-7)


def test_top_k_keeps_the_teachers_k_best_tokens_renormalised():
    teacher = torch.tensor([[0.6, 0.3, 0.1]])
    student = torch.tensor([[0.5, 0.25, 0.25]])
    truncated = [2 / 3, 1 / 3]  # top-2 of the teacher, renormalised
    expected = truncated[0] * math.log(truncated[0] / 0.5) + truncated[1] * math.log(truncated[1] / 0.25)
    assert soft_distill_loss(student.log(), teacher.log(), top_k=2).item() == pytest.approx(
        expected, abs=1e-6
    )
    full = soft_distill_loss(student.log(), teacher.log(), top_k=3)
    assert full.item() == pytest.approx(soft_distill_loss(student.log(), teacher.log()).item(), abs=1e-6)


def test_soft_loss_gradient_pulls_the_student_toward_the_teacher():
    teacher = torch.tensor([[0.7, 0.2, 0.1]]).log()
    student = torch.zeros(1, 3, requires_grad=True)
    soft_distill_loss(student, teacher).backward()
    assert student.grad[0, 0] < 0 < student.grad[0, 2]  # raise the teacher's favourite, lower its last


def test_hard_loss_is_cross_entropy_on_the_answer_tokens():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    targets = torch.tensor([0, 1])
    assert hard_distill_loss(logits, targets).item() == pytest.approx(F.cross_entropy(logits, targets).item())


def test_scratchpad_round_trip_and_answer_extraction():
    a, b = 3141592, 27182818
    pad = scratchpad(a, b)
    steps, digits = parse_scratchpad(pad + answer(a, b))
    assert len(steps) == 8 and steps[0] == (2, 8, 0, 10) and steps[1] == (9, 1, 1, 11)
    carry = 0
    for x, y, c, total in steps:  # every step is right: its carry in is the last step's carry out
        assert c == carry and total == x + y + c
        carry = total // 10
    assert parse_answer(digits) == a + b == parse_answer(answer(a, b, "msb"), "msb")
    assert answer(a, b) == "014423030" and answer(a, b, "msb") == "030324410"
    assert problem(a, b) == "03141592+27182818="
    assert split_scratchpad(pad + answer(a, b)) == (pad, "014423030")
    assert split_scratchpad("1+2+0=03;ans=12") is None  # answer with the wrong width
    assert split_scratchpad("1+2+0=03;") is None
    assert parse_answer(" 042 ", "msb") == 42 and parse_answer("042") == 240
    assert parse_answer("4x2") is None and parse_answer("") is None
    with pytest.raises(ValueError):
        parse_scratchpad("no answer here")


def test_held_out_problems_cover_every_digit_count_and_are_withheld():
    test, withheld = held_out_problems(random.Random(0), 5)
    counts = [max(len(str(a)), len(str(b))) for a, b in test]
    assert counts == [d for d in range(1, 9) for _ in range(5)]
    assert all(ab in withheld for ab in test if max(ab) >= 10) and all(max(ab) >= 10 for ab in withheld)


def test_examples_align_the_same_answer_tokens_for_teacher_and_student():
    _, tok = tiny_char_model(ALPHABET, 1, 16, 2, 32)
    (ex,) = build_examples(tok, "reverse:", ["abc>"], [("", "cba")])
    assert ex.n_answer == 4  # c b a <eos>
    assert ex.student[-4:] == ex.teacher[-4:]
    assert tok.decode(ex.teacher, skip_special_tokens=True) == "reverse:abc>cba"
    assert tok.decode(ex.student, skip_special_tokens=True) == "abc>cba"


def test_answer_logits_pick_the_positions_that_predict_the_answer():
    model, tok = tiny_char_model(ALPHABET, 1, 16, 2, 32)
    (ex,) = build_examples(tok, "", ["abc>"], [("", "cba")])
    picked = answer_logits(model, [ex.student], [ex.n_answer], tok.pad_token_id)
    full = model(input_ids=torch.tensor([ex.student])).logits[0]
    assert torch.allclose(picked, full[len(ex.student) - 5 : len(ex.student) - 1], atol=1e-5)


@pytest.fixture(scope="module")
def reverse_model():
    """A tiny model that learned `reverse:` and `sort:` on short strings (a few seconds of training)."""
    torch.manual_seed(0)
    model, tok = tiny_char_model(ALPHABET, 2, 48, 4, 32)
    rng = random.Random(0)
    pairs = []
    for _ in range(800):
        x = "".join(rng.choice("abcd") for _ in range(3)) + ">"
        task = rng.choice(["reverse", "sort"])
        pairs.append((f"{task}:{x}", TASKS[task](x[:-1])))
    train_pairs(model, tok, pairs, steps=400, batch_size=32, lr=3e-3, seed=0)
    return model, tok


def test_distillation_moves_the_instruction_into_the_weights(reverse_model):
    model, tok = reverse_model
    inputs = template_inputs(lambda rng: "".join(rng.choice("abcd") for _ in range(3)) + ">")(64, 1)
    teacher_out = greedy(model, tok, [f"reverse:{x}" for x in inputs], 5)
    teacher_acc = sum(o == x[:-1][::-1] for x, o in zip(inputs, teacher_out, strict=True)) / len(inputs)
    assert teacher_acc > 0.9
    before = [p.detach().clone() for p in model.parameters()]
    for mode in ("soft", "hard"):
        student, report = distill(
            model, tok, "reverse:", inputs, mode=mode, steps=150, batch_size=32, lr=2e-3, max_new_tokens=5
        )
        bare = greedy(student, tok, inputs, 5)
        acc = sum(o == x[:-1][::-1] for x, o in zip(inputs, bare, strict=True)) / len(inputs)
        assert acc >= 0.8 * teacher_acc, mode
        assert report.used == len(inputs) and report.losses[-1] < report.losses[0]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))  # untouched


def test_distill_rejects_bad_arguments(reverse_model):
    model, tok = reverse_model
    with pytest.raises(ValueError, match="mode"):
        distill(model, tok, "reverse:", ["abc>"], mode="medium")
    with pytest.raises(ValueError, match="no inputs"):
        distill(model, tok, "reverse:", [])
    with pytest.raises(ValueError, match="no usable answer"):
        distill(model, tok, "reverse:", ["abc>"], split=lambda out: None, steps=1, max_new_tokens=5)


def test_lm_inputs_samples_usable_inputs_from_a_model(reverse_model):
    model, tok = reverse_model
    draw = lm_inputs(model, tok, "sort:", stop=">", max_new_tokens=6, keep=lambda s: len(s) >= 2)
    got = draw(8, 0)
    assert len(got) == 8 and all(len(s) >= 2 for s in got)
    assert draw(8, 0) == got  # seeded
    assert template_inputs(random_input)(5, 3) == template_inputs(random_input)(5, 3)


def test_preserved_contexts_keep_their_behaviour_through_distillation(reverse_model):
    model, tok = reverse_model
    draw = template_inputs(lambda rng: "".join(rng.choice("abcd") for _ in range(3)) + ">")
    inputs, probe = draw(64, 1), draw(32, 2)

    def sort_accuracy(m):
        outs = greedy(m, tok, [f"sort:{x}" for x in probe], 5)
        return sum(o == "".join(sorted(x[:-1])) for x, o in zip(probe, outs, strict=True)) / len(probe)

    before = sort_accuracy(model)
    assert before > 0.9
    student, report = distill(
        model,
        tok,
        "reverse:",
        inputs,
        steps=150,
        batch_size=32,
        lr=2e-3,
        max_new_tokens=5,
        preserve=[("sort:", x) for x in inputs],
        preserve_share=0.5,
    )
    assert sort_accuracy(student) >= 0.9 * before
    bare = greedy(student, tok, probe, 5)
    assert sum(o == x[:-1][::-1] for x, o in zip(probe, bare, strict=True)) / len(probe) > 0.8
    with pytest.raises(ValueError, match="preserve_share"):
        distill(model, tok, "reverse:", inputs, preserve_share=1.0)


def test_train_pairs_keeps_prompts_longer_than_the_window_by_dropping_their_oldest_tokens():
    from ml.distill.supervised import tiny_char_model, train_pairs

    model, tokenizer = tiny_char_model("ab|", n_layer=1, n_embd=16, n_head=2, block_size=24)
    # prompts of 60 characters: the model can read only the last 24 positions, the target included
    pairs = [("ab|" * 20, "ba"), ("ba|" * 20, "ab")]
    losses = train_pairs(model, tokenizer, pairs, steps=30, batch_size=2, lr=1e-2)
    assert len(losses) == 30 and losses[-1] < losses[0]
