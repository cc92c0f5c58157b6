"""The combined report against values computed by hand."""

import math

import pytest

from annotate import queue
from annotate.hypotheses import services, stats
from annotate.hypotheses.gold import Control, choose_control, gold_samples
from annotate.models import Item
from tests.annotate.hypotheses.factories import HypothesisStudyFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONTROL = Control("e")
# (hypothesis index, group, text, gold answer); answers[i] = (first annotator's, second annotator's).
ITEMS = [
    (0, "D1", "t1", None),
    (0, "D1", "t2", None),
    (0, "D0", "t3", None),
    (0, "D0", "t4", None),
    (1, "D1", "t5", None),
    (1, "D0", "t6", None),
    (None, "D1", "the", "yes"),
]
ANSWERS = [
    ("yes", "yes"),
    ("yes", "no"),
    ("no", "no"),
    ("yes", "unsure"),
    ("yes", "yes"),
    ("no", "no"),
    ("yes", "no"),
]


@pytest.fixture
def study():
    study = HypothesisStudyFactory(
        config={
            "run": None,
            "flag_gap": 0.3,
            "control": {"letter": "e", "hypothesis": CONTROL.hypothesis},
            "hypotheses": [
                {"index": 0, "hypothesis": "mentions a number", "machine": {"validity": 0.9, "ci_low": 0.8, "ci_high": 1.0}},
                {"index": 1, "hypothesis": "is about sports", "machine": {"validity": 0.8, "ci_low": 0.6, "ci_high": 0.9}},
            ],
        }
    )  # fmt: skip
    for n, (index, group, text, gold) in enumerate(ITEMS):
        hypothesis = CONTROL.hypothesis if index is None else study.config["hypotheses"][index]["hypothesis"]
        Item.objects.create(
            study=study,
            external_id=f"p{n:05d}",
            payload={"hypothesis": hypothesis, "hypothesis_index": index, "text": text, "group": group},
            is_gold=gold is not None,
            gold_answer={"kind": "control", "answer": gold} if gold else None,
        )
    first, second = UserFactory(username="ann"), UserFactory(username="bob")
    for who, user in enumerate((first, second)):
        for answers in ANSWERS:  # the queue serves items in id order to each annotator (k = 2)
            a = queue.next_assignment(study, user)
            services.answer(study, a.pk, user, answers[who])
    return study


def test_validity_counts_and_flags_match_the_hand_computation(study):
    report = stats.compute(study)
    first, second = report["hypotheses"]
    # Hypothesis 0: D1 yes 3 of 4; D0 yes 1 of 3 (one unsure left out): 3/4 - 1/3.
    assert first["human"]["validity"] == pytest.approx(0.75 - 1 / 3)
    assert first["human"]["D1"] == {"yes": 3, "no": 1, "share": 0.75}
    assert first["human"]["D0"] == {"yes": 1, "no": 2, "share": pytest.approx(1 / 3)}
    assert first["human"]["unsure"] == 1 and first["human"]["n"] == 8
    # Resampling texts: D1 means in {1, 3/4, 1/2}, D0 means in {0, 1/3, 1}, so the CI is within
    # [1/2 - 1, 1 - 0] and holds the estimate; 0.9 is inside it (P(diff >= 0.9) = 1/16 > 2.5%).
    assert -0.5 <= first["human"]["ci_low"] <= first["human"]["validity"] <= first["human"]["ci_high"] == 1.0
    assert first["flags"] == ["human and machine differ by 0.48"]
    # Hypothesis 1: one text per group, both unanimous: validity 1 with a zero-width CI that
    # excludes the machine's 0.8, which is only 0.2 away (under the 0.3 gap).
    assert (second["human"]["validity"], second["human"]["ci_low"], second["human"]["ci_high"]) == (1, 1, 1)
    assert second["flags"] == ["the human CI excludes the machine value"]
    assert report["unsure"] == 1 and report["n_judged"] == 12 and report["n_responses"] == 14


def test_krippendorff_alpha_matches_the_hand_computation(study):
    report = stats.compute(study)
    # Hypothesis 0: units (y,y), (y,n), (n,n) (t4 has one yes/no answer: not pairable).
    # Coincidences o_yy = 2, o_nn = 2, o_yn = o_ny = 1; n_y = n_n = 3, n = 6:
    # alpha = 1 - (n - 1) * (o_yn + o_ny) / (2 n_y n_n) = 1 - 5 * 2 / 18 = 4/9.
    assert report["hypotheses"][0]["agreement"] == {"alpha": pytest.approx(4 / 9), "n_items": 3}
    assert report["hypotheses"][1]["agreement"] == {"alpha": 1.0, "n_items": 2}
    # All real pairs: o_yy = 4, o_nn = 4, o_yn = o_ny = 1; n = 10: alpha = 1 - 9 * 2 / 50 = 0.64.
    # The gold pair (split yes/no) stays out of it.
    assert report["agreement"] == {"alpha": pytest.approx(0.64), "n_items": 5}


def test_split_pairs_gold_and_annotators(study):
    report = stats.compute(study)
    assert [(p["text"], p["group"], p["yes"], p["no"]) for p in report["split_pairs"]] == [("t2", "D1", 1, 1)]
    assert report["gold"] == {
        "n": 2,
        "correct": 1,
        "control": {"letter": "e", "hypothesis": CONTROL.hypothesis},
    }
    assert [(a["annotator"], a["n"], a["unsure"], a["gold_correct"], a["gold_accuracy"]) for a in report["annotators"]] == [
        ("ann", 7, 0, 1, 1.0),
        ("bob", 7, 1, 0, 0.0),
    ]  # fmt: skip


def test_no_validity_until_both_groups_have_a_yes_or_no(db):
    rows = [
        stats.Row("h", "x", "D1", "ann", "yes", 0, False, None, "p0", 1, 1, None, ""),
        stats.Row("h", "y", "D0", "ann", "unsure", 0, False, None, "p1", 2, 2, None, ""),
    ]
    human = stats.human_validity(rows)
    assert human["validity"] is None and human["ci_low"] is None and human["unsure"] == 1
    assert stats.alpha(rows) == {"alpha": None, "n_items": 0}


def test_training_judgments_leave_out_gold_and_unsure(study):
    judgments = stats.training_judgments(study)
    assert len(judgments) == 11  # 14 answers - 2 gold - 1 unsure
    assert ("mentions a number", "t2", 1) in judgments and ("mentions a number", "t2", 0) in judgments
    assert all(label in (0, 1) for _, _, label in judgments)


def test_the_report_is_recomputed_when_a_new_answer_arrives(study):
    assert stats.study_report(study)["n_responses"] == 14
    user = UserFactory()
    item = Item.objects.create(
        study=study, external_id="p99999", payload={**Item.objects.first().payload, "text": "t9"}
    )
    a = queue.next_assignment(study, user)
    assert a.item_id == item.pk  # every other item already has its k answers
    services.answer(study, a.pk, user, "no")
    assert stats.study_report(study)["n_responses"] == 15


def test_the_control_letter_splits_the_texts_most_evenly():
    # "p", "r" and "z" are each in 2 of 4 texts (a, e: 3; b, l, o: 1); ties go to the alphabet.
    control = choose_control(["zebra", "zoo", "apple", "pear"])
    assert control.letter == "p"
    assert control.holds("APPLE") and not control.holds("zoo")
    assert control.hypothesis == 'contains the letter "p" (upper or lower case)'


def test_gold_samples_are_balanced_and_exact():
    texts = ["kite", "kin", "look", "lamp", "moon", "nap", "pen", "king"]
    control = Control("k")
    picked = gold_samples(texts, control, 4, seed=3)
    assert sorted(answer for _, answer in picked) == [False, False, True, True]
    assert all(control.holds(texts[i]) == answer for i, answer in picked)
    assert len({i for i, _ in picked}) == 4
    # Only one class available: all gold from it, as many as exist.
    assert sorted(gold_samples(["ab", "abc"], Control("a"), 3, seed=0)) == [(0, True), (1, True)]
    assert gold_samples(texts, control, 0, seed=0) == []


def test_alpha_is_none_rather_than_nan_when_everyone_says_the_same(db):
    rows = [
        stats.Row("h", "x", "D1", u, "yes", 0, False, None, "p0", 1, n, None, "")
        for n, u in enumerate(("ann", "bob"))
    ]
    assert stats.alpha(rows) == {"alpha": None, "n_items": 1}
    assert not math.isnan(stats.human_validity(rows)["D1"]["share"])
