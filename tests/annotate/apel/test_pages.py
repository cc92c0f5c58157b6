"""The annotator's page: options in the recorded displayed order, htmx answer flow, clear errors."""

import re

from annotate.apel import services
from annotate.models import Assignment, Response
from tests.annotate.apel.conftest import correct_position


def test_page_shows_options_in_recorded_order(make_study, two_annotators, client):
    user = two_annotators[0]
    study = make_study(annotators=[user], k=1, config={"tau": 0.999, "max_rounds": 2})
    client.force_login(user)
    page = client.get(f"/studies/{study.pk}/annotate/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "How many singers" in html or "Names of singers" in html or "cities" in html
    a = Assignment.objects.get(annotator=user, status="active")
    session = a.state["session"]
    order = services.displayed_order(a.pk, 1, len(session["pending"]["options"]))
    # Each shown output's rows are the engine option's rows, in the displayed order.
    shown = re.findall(r'data-choice="(\d+)"', html)
    assert shown == [str(i + 1) for i in range(len(order))]
    first_rows = session["pending"]["options"][order[0]]["rows"]
    first_button = html.split('data-choice="1"', 1)[1].split("</button>", 1)[0]
    for value in (v for row in first_rows for v in row):
        assert str(value) in first_button
    assert "<kbd>0</kbd> None of these" in html and "<kbd>u</kbd> Not sure" in html

    pos = correct_position(a.pk)
    choice = "none" if pos == "none" else str(pos + 1)
    r = client.post(
        f"/studies/{study.pk}/annotate/",
        {"assignment": a.pk, "question": "q1", "choice": choice, "active_time_ms": "1234"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert 'id="apel-posterior"' in r.content.decode() and 'hx-swap-oob="true"' in r.content.decode()
    resp = Response.objects.get(assignment=a, round=1)
    assert resp.displayed_order == order and resp.active_time_ms == 1234
    assert resp.answer["choice"] == ("none" if pos == "none" else order[pos])


def test_bad_post_shows_a_message_not_a_500(make_study, two_annotators, client):
    user = two_annotators[0]
    study = make_study(annotators=[user], k=1)
    client.force_login(user)
    client.get(f"/studies/{study.pk}/annotate/")
    r = client.post(
        f"/studies/{study.pk}/annotate/", {"assignment": "x", "choice": "1"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and 'role="alert"' in r.content.decode()


def test_engine_failure_is_a_message(make_study, two_annotators, client, monkeypatch):
    user = two_annotators[0]
    study = make_study(annotators=[user], k=1)

    def boom(self):
        raise RuntimeError("synthesis exploded")

    monkeypatch.setattr(services.ApelSession, "next_question", boom)
    client.force_login(user)
    r = client.get(f"/studies/{study.pk}/annotate/")
    assert r.status_code == 200 and "APEL engine failed" in r.content.decode()
