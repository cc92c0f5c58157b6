"""The APEL demo study: 24 utterances over the eight demo schemas in ml/apel/demo_data.

There is no seed parser in a fresh install, so the candidates are SIMULATED: the gold program plus
sqlglot AST neighbours (the Test-Suite edits in ml.apel.neighbours), weighted so the gold program is
the top candidate for about 60% of the utterances, as Codex was in the paper. Every payload says so.
"""

import json
import random
from pathlib import Path

from annotate.apel import services
from annotate.apel.models import ApelDatabase
from ml.apel.neighbours import neighbours
from ml.apel.schema import schema_from_spider
from webapp.demo import demo_study

DATA = Path(__file__).resolve().parents[2] / "ml" / "apel" / "demo_data"
PER_DB = 3
GOLD_ITEMS = 4
NOTE = "Simulated parser candidates: the gold SQL plus AST neighbours, weighted to mimic a seed parser."


def demo_records(seed: int = 0) -> tuple[dict[str, dict], list[tuple[int, dict]]]:
    """(tables.json entries by db_id, numbered utterance records) for the demo."""
    tables = {e["db_id"]: e for e in json.loads((DATA / "tables.json").read_text())}
    dev = json.loads((DATA / "dev.json").read_text())
    rng = random.Random(seed)
    records = []
    for db_id in sorted(tables):
        schema = schema_from_spider(tables[db_id])
        rows = [d for d in dev if d["db_id"] == db_id]
        picked = 0
        for k, ex in enumerate(rows[::5]):
            if picked == PER_DB:
                break
            alts = neighbours(ex["query"], schema, limit=4, seed=k)
            if len(alts) < 2:
                continue
            n = len(records)
            # Simulated parser: gold first for 3 items in 5; otherwise a neighbour outranks it.
            gold_top = n % 5 < 3
            weights = [rng.uniform(0.05, 0.2) for _ in alts]
            gold_w = max(weights) + rng.uniform(0.1, 0.3)
            if not gold_top:
                weights[0], gold_w = gold_w, weights[0]
            cands = [{"sql": ex["query"], "weight": round(gold_w, 3)}]
            cands += [{"sql": a, "weight": round(w, 3)} for a, w in zip(alts, weights, strict=True)]
            rng.shuffle(cands)  # the gold program must not be recognisable by position
            records.append(
                (
                    n + 1,
                    {
                        "id": f"{db_id}-{k * 5}",
                        "question": ex["question"],
                        "db_id": db_id,
                        "candidates": cands,
                        "gold_sql": ex["query"],
                        "is_gold": False,
                        "note": NOTE,
                    },
                )
            )
            picked += 1
    for i in range(GOLD_ITEMS):  # spread the gold items over the schemas
        records[i * len(records) // GOLD_ITEMS][1]["is_gold"] = True
    return tables, records


@demo_study(
    "APEL demo: label SQL by example",
    "apel",
    annotations_per_item=2,
    description="Pick the output that answers the question on each tiny database. " + NOTE,
    config=dict(services.DEFAULT_CONFIG),
)
def build_apel_demo(study) -> None:
    tables, records = demo_records()
    for db_id, entry in tables.items():
        # The SQLite file's own catalogue is richer than tables.json (NOT NULL, UNIQUE, real types).
        path = DATA / "database" / db_id / f"{db_id}.sqlite"
        data = path.read_bytes() if path.exists() else None
        schema = services.schema_from_sqlite_bytes(data, db_id) if data else schema_from_spider(entry)
        ApelDatabase.objects.create(study=study, db_id=db_id, schema=schema.to_dict(), sqlite=data)
    services.import_utterances(study, records)
