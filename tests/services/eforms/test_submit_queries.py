"""Queries of a page POST and of the final submit do not grow with the number of questions or files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services.eforms.models import Draft, Submission
from tests.services.eforms.case_helpers import PDF
from tests.services.eforms.conftest import signed_in
from tests.services.eforms.factories import text
from tests.services.eforms.test_journey import BASE, page_url, start

pytestmark = pytest.mark.django_db


def _definition(per_page: int) -> dict:
    pages = []
    for number in range(3):
        fields = [
            {
                "key": f"q{number}_{index}",
                "type": "text",
                "label": text(f"Question {index}"),
                "required": True,
            }
            for index in range(per_page)
        ]
        if number == 1:  # the second page also carries files
            fields += [
                {"key": f"file{index}", "type": "file", "label": text("Proof"), "accept": ["pdf"]}
                for index in range(max(1, per_page // 5))
            ]
        pages.append({"key": f"p{number}", "title": text(f"Page {number}"), "fields": fields})
    return {"title": text("Queries"), "pages": pages}


def _journey(make_form, user, per_page: int, slug: str) -> dict[str, int]:
    version = make_form(definition=_definition(per_page), form__slug=slug)
    client = signed_in(user)
    draft = start(client, version)
    counts = {}
    for page in version.definition["pages"]:
        data = {field["key"]: "An answer" for field in page["fields"] if field["type"] == "text"}
        for field in page["fields"]:
            if field["type"] == "file":
                data[field["key"]] = SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(page_url(draft, page["key"]), {**data, "action": "continue"})
        assert response.status_code == 302, response.content.decode()[-1500:]
        counts[page["key"]] = len(queries)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    assert "/applications/" in response["Location"]
    counts["submit"] = len(queries)
    return counts


def test_page_posts_and_submit_cost_the_same_queries_for_3_or_30_questions_a_page(
    make_form, applicant, settings
) -> None:
    _journey(make_form, applicant, 3, "warm-up")  # the year's reference sequence row, caches
    small = _journey(make_form, applicant, 3, "small-form")
    large = _journey(make_form, applicant, 30, "large-form")
    assert Submission.objects.count() == 3 and not Draft.objects.exists()
    assert Submission.objects.get(form__slug="large-form").attachments.count() == 6
    assert large == small, (small, large)
    # A page without files: session, user, the draft (joined with its form and version), then the
    # locked re-read and the update; files add a fixed three (which exist, delete replaced, insert).
    assert small["p0"] <= 8 and small["p2"] <= 8 and small["p1"] <= 11, small
    assert small["submit"] <= 24, small
