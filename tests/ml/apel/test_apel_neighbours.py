import re

import pytest

from ml.apel.execute import QueryResult, Sandbox
from ml.apel.neighbours import neighbours
from ml.apel.parsing import parse

QUERIES = [
    "SELECT count(*) FROM singer WHERE age > 30 AND country = 'France'",
    "SELECT name FROM singer WHERE country LIKE '%an%' OR age IN (22, 30) ORDER BY age DESC LIMIT 2",
    "SELECT T1.name, max(T2.year) FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id "
    "GROUP BY T1.singer_id HAVING count(*) >= 2",
    "SELECT DISTINCT venue FROM concert WHERE year BETWEEN 2018 AND 2020",
    "SELECT name FROM singer WHERE singer_id NOT IN (SELECT singer_id FROM concert)",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_neighbours_are_valid_and_distinct(schema, original_db, sql):
    found = neighbours(sql, schema)
    assert found and len(found) == len(set(found))
    with Sandbox(schema, constraints=False) as box:
        box.load(original_db)
        for n in found:
            parse(n, schema)
            assert isinstance(box.run(n), QueryResult), n


def test_neighbour_families(schema):
    a = neighbours(QUERIES[0], schema)
    assert not any(re.search(r"(MAX|MIN|AVG|SUM)\(\*\)", n) for n in a)  # only COUNT takes *
    assert any("age >= 30" in n for n in a) and any("age < 30" in n for n in a)  # comparison swaps
    assert any(" OR " in n for n in a)  # AND -> OR
    assert any("age > 31" in n for n in a) and any("age > 29" in n for n in a)  # literal perturbation
    assert any("WHERE" not in n for n in a)  # WHERE dropped
    assert any("WHERE country = 'France'" in n and "age" not in n for n in a)  # one conjunct dropped
    assert any("net_worth > 30" in n for n in a)  # column swap within the numeric family
    assert not any("name > 30" in n for n in a)  # ... but never across families
    b = neighbours(QUERIES[1], schema)
    assert any("NOT LIKE" in n for n in b) and any("NOT age IN" in n for n in b)
    assert any("ORDER BY age ASC" in n for n in b) and any("LIMIT 3" in n for n in b)
    c = neighbours(QUERIES[2], schema)
    assert any("MIN(T2.year)" in n for n in c) and any("HAVING" not in n for n in c)
    assert all("ON T1.singer_id = T2.singer_id" in n for n in c)  # join conditions stay
    d = neighbours(QUERIES[4], schema)
    assert any(re.search(r"WHERE singer_id IN", n) for n in d)  # NOT IN -> IN


def test_limit_and_seed(schema):
    assert neighbours(QUERIES[0], schema, limit=3, seed=1) == neighbours(QUERIES[0], schema, seed=1)[:3]
    assert neighbours(QUERIES[0], schema, seed=1) != neighbours(QUERIES[0], schema, seed=2)
