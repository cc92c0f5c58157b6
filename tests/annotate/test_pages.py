"""Study pages and the generic annotate page, driven with the Django test client and htmx headers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from annotate import interfaces
from annotate.models import Item, Response
from tests.factories import ItemFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def choice_study(generic_only):
    study = StudyFactory(config={"choices": ["yes", {"value": "no", "label": "No way"}]})
    ItemFactory(study=study, payload={"text": "Is the sky blue?", "meta": {"source": "x"}})
    ItemFactory(study=study, payload={"text": "Is grass red?"})
    user = UserFactory()
    study.annotators.add(user)
    return study, user


def test_generic_flow_with_htmx(choice_study):
    study, user = choice_study
    client = login(user)
    page = client.get(f"/studies/{study.pk}/annotate/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Is the sky blue?" in html and "<pre>" in html  # nested payload values shown as JSON
    assert 'data-key="1"' in html and "<kbd>1</kbd>" in html and 'data-key="Enter"' in html
    assert "hx-disabled-elt" in html and "You: <strong>0 of 2 done</strong>" in html
    a_id = int(html.split('name="assignment" value="')[1].split('"')[0])

    fragment = client.post(
        f"/studies/{study.pk}/annotate/",
        {"assignment": a_id, "answer": "no", "active_time_ms": "1234", "client": '{"viewport": [800, 600]}'},
        **HTMX,
    )
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body  # a fragment, not the page
    assert "Is grass red?" in body
    assert 'hx-swap-oob="true"' in body and "1 of 2 done" in body
    r = Response.objects.get()
    assert r.answer == {"choice": "no"} and r.displayed_order == ["yes", "no"]
    assert r.active_time_ms == 1234 and r.client == {"viewport": [800, 600], "interface": "generic"}

    # A retried post of the same answer is not counted twice.
    client.post(f"/studies/{study.pk}/annotate/", {"assignment": a_id, "answer": "no"}, **HTMX)
    assert Response.objects.count() == 1

    second = int(body.split('name="assignment" value="')[1].split('"')[0])
    done = client.post(f"/studies/{study.pk}/annotate/", {"assignment": second, "answer": "yes"}, **HTMX)
    assert "Nothing left" in done.content.decode() and "2 of 2 done" in done.content.decode()


def test_invalid_choice_keeps_the_item(choice_study):
    study, user = choice_study
    client = login(user)
    html = client.get(f"/studies/{study.pk}/annotate/").content.decode()
    a_id = int(html.split('name="assignment" value="')[1].split('"')[0])
    response = client.post(f"/studies/{study.pk}/annotate/", {"assignment": a_id, "answer": "maybe"}, **HTMX)
    assert "Pick one of the choices" in response.content.decode()
    assert "Is the sky blue?" in response.content.decode()
    assert not Response.objects.exists()
    # Without htmx the same mistake is a 400 full page.
    assert (
        client.post(f"/studies/{study.pk}/annotate/", {"assignment": a_id, "answer": ""}).status_code == 400
    )


def test_no_js_post_redirects(choice_study):
    study, user = choice_study
    client = login(user)
    html = client.get(f"/studies/{study.pk}/annotate/").content.decode()
    a_id = int(html.split('name="assignment" value="')[1].split('"')[0])
    response = client.post(f"/studies/{study.pk}/annotate/", {"assignment": a_id, "answer": "yes"})
    assert response.status_code == 302 and response["Location"].endswith(f"/studies/{study.pk}/annotate/")


def test_free_text_interface(generic_only):
    study = StudyFactory(config={})
    ItemFactory(study=study)
    user = UserFactory()
    study.annotators.add(user)
    client = login(user)
    html = client.get(f"/studies/{study.pk}/annotate/").content.decode()
    assert 'type="text" name="answer"' in html
    a_id = int(html.split('name="assignment" value="')[1].split('"')[0])
    client.post(f"/studies/{study.pk}/annotate/", {"assignment": a_id, "answer": " a note "}, **HTMX)
    assert Response.objects.get().answer == {"text": "a note"}


def test_cannot_answer_someone_elses_assignment(choice_study):
    study, user = choice_study
    html = login(user).get(f"/studies/{study.pk}/annotate/").content.decode()
    a_id = int(html.split('name="assignment" value="')[1].split('"')[0])
    response = login(study.owner).post(
        f"/studies/{study.pk}/annotate/", {"assignment": a_id, "answer": "yes"}, **HTMX
    )
    assert "not yours" in response.content.decode()
    assert not Response.objects.exists()


def test_registered_interface_is_dispatched(choice_study):
    from django.http import HttpResponse

    study, user = choice_study
    interfaces.register_interface(study.kind, lambda request, s: HttpResponse(f"custom {s.pk}"))
    response = login(user).get(f"/studies/{study.pk}/annotate/")
    assert response.content.decode() == f"custom {study.pk}"


def test_study_pages_show_progress_and_manager_tools(choice_study):
    study, user = choice_study
    owner_html = login(study.owner).get(f"/studies/{study.pk}/").content.decode()
    assert "0 of 2" in owner_html and "Import items" in owner_html and user.username in owner_html
    assert f"/api/studies/{study.pk}/items/export/?format=csv" in owner_html
    annotator_html = login(user).get(f"/studies/{study.pk}/").content.decode()
    assert "Import items" not in annotator_html and "Annotators" not in annotator_html
    assert "You: 0 of 2 done" in annotator_html
    listing = login(user).get("/studies/").content.decode()
    assert study.name in listing and f"/studies/{study.pk}/annotate/" in listing


def test_page_import_shows_errors_and_imports_nothing(choice_study):
    study, _ = choice_study
    client = login(study.owner)
    bad = SimpleUploadedFile("items.jsonl", b'{"id": "n1"}\n{"id": \n')
    response = client.post(f"/studies/{study.pk}/import/", {"file": bad}, **HTMX)
    html = response.content.decode()
    assert "Line 2: invalid JSON" in html and "Nothing was imported" in html
    assert Item.objects.filter(study=study).count() == 2
    good = SimpleUploadedFile("items.csv", b"external_id,text\nn1,hi\nn2,ho\n")
    html = client.post(f"/studies/{study.pk}/import/", {"file": good}, **HTMX).content.decode()
    assert "Imported 2 items" in html and 'id="study-progress" hx-swap-oob="true"' in html
    assert Item.objects.filter(study=study).count() == 4


def test_page_import_without_htmx_redirects_with_message(choice_study):
    study, _ = choice_study
    client = login(study.owner)
    response = client.post(
        f"/studies/{study.pk}/import/", {"file": SimpleUploadedFile("x.txt", b"x")}, follow=True
    )
    assert "unsupported file type" in response.content.decode()
