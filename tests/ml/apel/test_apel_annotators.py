import pytest

from ml.apel.annotators import Judgement, estimate_error_rates


def test_no_data_gives_the_prior_mean():
    rates = estimate_error_rates([Judgement("ann", "q1", "unsure", 3)])
    assert rates == {"ann": pytest.approx(0.1)}


def test_gold_items_count_errors_with_the_beta_prior():
    js = [Judgement("a", f"g{i}", 0 if i < 8 else 1, 3, gold=0) for i in range(10)]
    # Beta(1, 9) prior plus 2 errors in 10 answers: (1 + 2) / (1 + 9 + 10) = 0.15.
    assert estimate_error_rates(js)["a"] == pytest.approx(0.15)
    assert estimate_error_rates(js, alpha=2, beta=8)["a"] == pytest.approx((2 + 2) / 20)


def test_em_on_items_without_gold_finds_the_unreliable_annotator():
    js = []
    for i in range(30):
        truth = i % 3
        js.append(Judgement("good1", f"q{i}", truth, 4))
        js.append(Judgement("good2", f"q{i}", truth, 4))
        js.append(Judgement("sloppy", f"q{i}", (truth + 1) % 3 if i % 2 else truth, 4))
    rates = estimate_error_rates(js)
    assert rates["sloppy"] > 0.3 > 0.1 > rates["good1"]
    assert rates["good1"] == pytest.approx(rates["good2"])


def test_gold_and_open_items_combine():
    js = [Judgement("a", "g", 0, 3, gold=0), Judgement("b", "g", 1, 3, gold=0)]
    rates = estimate_error_rates(js)
    assert rates["b"] > rates["a"]
