from ml.apel.display import display_tables, mark_differences, rows_shown, shown_columns


def test_only_mentioned_tables_and_columns_primary_key_first(schema, original_db):
    sqls = ["SELECT name FROM singer WHERE age > 30", "SELECT country FROM singer WHERE age > 30"]
    tables = display_tables(schema, original_db, sqls)
    assert list(tables) == ["singer"]
    assert tables["singer"]["columns"] == ["singer_id", "name", "country", "age"]
    assert tables["singer"]["rows"][0] == [1, "Alice", "France", 30]
    assert rows_shown(tables) == 4


def test_foreign_key_parents_are_merged_in(schema, original_db):
    sqls = [
        "SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id WHERE T2.year > 2019"
    ]
    tables = display_tables(schema, original_db, sqls)
    assert list(tables) == ["singer", "concert"]
    concert = tables["concert"]
    assert concert["columns"] == ["concert_id", "singer_id", "year", "singer.name"]
    assert concert["rows"][0] == [10, 1, 2019, "Alice"]  # the parent's name beside the key
    assert rows_shown(tables) == 8


def test_count_star_still_shows_a_key(schema):
    assert shown_columns(schema, ["SELECT count(*) FROM concert"]) == {"concert": ["concert_id"]}
    assert shown_columns(schema, ["SELECT * FROM ticket"])["ticket"] == ["concert_id", "seat", "price"]


def test_mark_differences():
    a = [["Alice"], ["Bob"]]
    b = [["Alice"]]
    c = [["Alice"], ["Carol"]]
    marks = mark_differences([a, b, c])
    assert marks[0]["rows"] == [False, True]  # Alice is in every option, Bob is not
    assert marks[1]["rows"] == [False]
    assert marks[2]["rows"] == [False, True]
    assert marks[0]["cells"] == [[False], [True]]
    wide = mark_differences([[["x", 1]], [[1, "X"]]])  # same values, other column order and case
    assert wide[0]["rows"] == [False] and wide[1]["rows"] == [False]
