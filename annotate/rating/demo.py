"""Two rating demo studies.

* "Rating demo: imitation vs reference": 15 factual questions answered by a reference model and two
  imitation models, plus two silent gold pairs and one attention check, from demo_data/outputs.jsonl.
  The outputs are hand-written to mimic the paper's finding (the imitation models copy the reference's
  confident style but get some facts wrong), so a new user can read what is being compared.
* "Rating demo: imitation study outputs": real outputs of the `distill.imitation` experiment, from
  demo_data/imitation_ratings.jsonl: held-out questions of its synthetic fact world, answered by the
  reference model and the strong and weak bases after broad imitation, with the gold pairs and the
  attention check the experiment writes. It is DIR/ratings.jsonl (seed 0) of `python bench/imitation.py
  --out DIR` with the default parameters. Raters, like the paper's crowd workers, cannot check these
  facts.
"""

from pathlib import Path

from annotate.rating import services
from webapp.demo import demo_study

DATA = Path(__file__).resolve().parent / "demo_data"


@demo_study(
    "Rating demo: imitation vs reference",
    "rating",
    annotations_per_item=3,
    description="Which answer is better? Judge factual accuracy first, then helpfulness. "
    "You do not know which system wrote which answer.",
    config={**services.DEFAULT_CONFIG, "reference": "reference", "comment": True},
)
def build_rating_demo(study) -> None:
    services.import_outputs(study, (DATA / "outputs.jsonl").read_bytes())


@demo_study(
    "Rating demo: imitation study outputs",
    "rating",
    annotations_per_item=3,
    description="Questions about a made-up world. Which answer is better? "
    "You do not know which system wrote which answer.",
    config={**services.DEFAULT_CONFIG, "reference": "reference"},
)
def build_imitation_demo(study) -> None:
    services.import_outputs(study, (DATA / "imitation_ratings.jsonl").read_bytes())
