import json

import pytest

from ml.describe.data import CorpusError, load_corpora, words


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path, values):
    return write(path, "".join(json.dumps(v) + "\n" for v in values))


def test_two_jsonl_files_objects_or_bare_strings(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", [{"text": "  first  "}, "second", {"text": "   "}, {"text": "first"}])
    b = write(tmp_path / "b.jsonl", '{"text": "other", "extra": 1}\n\n{"text": null}\n"more"\n')
    corpora = load_corpora(a, b)
    # stripped, empty texts dropped, duplicates kept
    assert corpora.positive == ["first", "second", "first"]
    assert corpora.negative == ["other", "more"]
    assert corpora.positive_label is None


def test_two_csv_files_with_a_custom_text_column(tmp_path):
    a = write(tmp_path / "a.csv", 'id,body\n1,"Hello, world"\n2,"a line\nthat wraps"\n3,\n')
    b = write(tmp_path / "b.tsv", "body\tid\nsomething else\t9\n")
    corpora = load_corpora(a, b, text_field="body")
    assert corpora.positive == ["Hello, world", "a line\nthat wraps"]
    assert corpora.negative == ["something else"]


@pytest.mark.parametrize(
    "labels, positive",
    [
        ([1, 0, 1], "1"),
        (["0", 1, "1"], "1"),  # 1 and "1" are the same class
        ([True, False, True], "true"),
        (["negative", "positive", "positive"], "positive"),
        (["B", "A", "A"], "A"),
        (["sports", "news", "news"], "news"),  # no marked label: the first in sorted order
    ],
)
def test_one_labelled_jsonl_file(tmp_path, labels, positive):
    rows = [{"text": f"t{i}", "label": label} for i, label in enumerate(labels)]
    corpora = load_corpora(jsonl(tmp_path / "one.jsonl", rows))
    assert corpora.positive_label == positive
    assert len(corpora.positive) == 2 and len(corpora.negative) == 1
    assert corpora.negative_label != positive


def test_one_labelled_csv_file(tmp_path):
    path = write(tmp_path / "one.csv", "sentence,group\nyes this,A\nno that,B\nyes again,A\n")
    corpora = load_corpora(path, text_field="sentence", label_field="group")
    assert corpora.positive == ["yes this", "yes again"] and corpora.negative == ["no that"]
    assert (corpora.positive_label, corpora.negative_label) == ("A", "B")


def error(excinfo) -> tuple[str, str]:
    return excinfo.value.argument, str(excinfo.value)


def test_missing_file_and_wrong_types(tmp_path):
    other = jsonl(tmp_path / "b.jsonl", ["x"])
    with pytest.raises(CorpusError) as excinfo:
        load_corpora(tmp_path / "nope.jsonl", other)
    assert error(excinfo)[0] == "path_a" and "no file at" in error(excinfo)[1]
    with pytest.raises(CorpusError) as excinfo:
        load_corpora(other, tmp_path / "nope.csv")
    assert error(excinfo)[0] == "path_b"
    with pytest.raises(CorpusError, match=r"unsupported type '\.txt'"):
        load_corpora(write(tmp_path / "a.txt", "hello\n"), other)
    with pytest.raises(CorpusError, match="not a file"):
        load_corpora(tmp_path, other)


def test_unparsable_lines_name_their_line(tmp_path):
    other = jsonl(tmp_path / "b.jsonl", ["x"])
    bad = write(tmp_path / "a.jsonl", '{"text": "fine"}\n{"text": broken\n')
    with pytest.raises(CorpusError, match=r"line 2: not valid JSON"):
        load_corpora(bad, other)
    with pytest.raises(CorpusError, match=r"line 1: expected an object .* got list"):
        load_corpora(jsonl(tmp_path / "c.jsonl", [[1, 2]]), other)
    with pytest.raises(CorpusError, match=r"line 1: the text is a dict"):
        load_corpora(jsonl(tmp_path / "d.jsonl", [{"text": {"nested": 1}}]), other)
    with pytest.raises(CorpusError, match=r"line 3: more cells than the 1 header columns"):
        load_corpora(write(tmp_path / "e.csv", "text\nok\n1,2\n"), other)
    (tmp_path / "g.csv").write_bytes(b"text\n\xff\xfe bad\n")
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_corpora(tmp_path / "g.csv", other)


def test_missing_columns_name_what_was_found(tmp_path):
    other = jsonl(tmp_path / "b.jsonl", ["x"])
    with pytest.raises(CorpusError) as excinfo:
        load_corpora(write(tmp_path / "a.csv", "body,id\nhi,1\n"), other)
    assert error(excinfo) == (
        "text_field",
        f"{tmp_path / 'a.csv'} has no 'text' column (columns: 'body', 'id')",
    )
    with pytest.raises(CorpusError) as excinfo:
        load_corpora(jsonl(tmp_path / "a.jsonl", [{"body": "hi", "id": 1}]), other)
    assert error(excinfo)[0] == "text_field" and "fields: 'body', 'id'" in error(excinfo)[1]
    with pytest.raises(CorpusError) as excinfo:
        load_corpora(write(tmp_path / "one.csv", "text,group\nhi,A\n"))
    assert (
        error(excinfo)[0] == "label_field"
        and "no 'label' column (columns: 'text', 'group')" in error(excinfo)[1]
    )
    with pytest.raises(CorpusError) as excinfo:
        load_corpora(jsonl(tmp_path / "one.jsonl", ["a bare string"]))
    assert error(excinfo)[0] == "label_field"


def test_empty_corpora_and_classes(tmp_path):
    other = jsonl(tmp_path / "b.jsonl", ["x"])
    with pytest.raises(CorpusError, match="no non-empty texts"):
        load_corpora(write(tmp_path / "a.jsonl", ""), other)
    with pytest.raises(CorpusError, match="no non-empty texts") as excinfo:
        load_corpora(other, jsonl(tmp_path / "blank.jsonl", [{"text": "  "}, ""]))
    assert excinfo.value.argument == "path_b"
    with pytest.raises(CorpusError, match="needs a header row"):
        load_corpora(write(tmp_path / "a.csv", ""), other)
    rows = [{"text": "one", "label": "x"}, {"text": "two", "label": "x"}, {"text": "", "label": "y"}]
    with pytest.raises(CorpusError, match=r"single class \(label = 'x'") as excinfo:
        load_corpora(jsonl(tmp_path / "one.jsonl", rows))
    assert excinfo.value.argument == "path_a"
    rows = [{"text": t, "label": t} for t in ("a", "b", "c")]
    with pytest.raises(CorpusError, match="has 3 values in column 'label'"):
        load_corpora(jsonl(tmp_path / "three.jsonl", rows))
    with pytest.raises(CorpusError, match="line 2: empty label"):
        load_corpora(
            jsonl(tmp_path / "nolabel.jsonl", [{"text": "a", "label": 1}, {"text": "b", "label": " "}])
        )


def test_words_lowercases_and_keeps_contractions():
    assert words("Don't STOP: 3 cats_and dogs!") == ["don't", "stop", "3", "cats", "and", "dogs"]
