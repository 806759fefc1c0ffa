"""The form builder: officers of the department build, preview, publish and retire; others get 404."""

import json

import pytest
from django.test import Client

from services.eforms.models import Form, FormVersion
from tests.factories import OfficerMembershipFactory, UserFactory
from tests.services.eforms.conftest import PARKING, signed_in

pytestmark = pytest.mark.django_db
BO = "/en/back-office/forms"


@pytest.fixture
def officer(transport: object) -> object:
    return OfficerMembershipFactory(department=transport).user


@pytest.fixture
def as_officer(officer: object) -> Client:
    client = Client()
    client.force_login(officer)
    return client


def create(client: Client, transport: object, slug: str = "permit") -> Form:
    response = client.post(
        f"{BO}/new/",
        {
            "department": transport.pk,
            "slug": slug,
            "reference_prefix": "ppm",
            "title_en": "Apply for a permit",
            "title_zh_hant": "申請許可證",
            "title_zh_hans": "申请许可证",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    return Form.objects.get(slug=slug)


def test_an_officer_builds_previews_and_publishes_a_form(as_officer: Client, transport: object) -> None:
    assert as_officer.get(f"{BO}/").status_code == 200
    form = create(as_officer, transport)
    assert form.reference_prefix == "PPM" and form.status == Form.Status.DRAFT
    base = f"{BO}/{form.public_id}/v1"
    # A new page and a question on it, through the structured editors.
    response = as_officer.post(
        f"{base}/pages/new/",
        {
            "key": "vehicle",
            "title_en": "Your vehicle",
            "title_zh_hant": "你的車輛",
            "title_zh_hans": "你的车辆",
        },
    )
    assert response.status_code == 302
    response = as_officer.post(
        f"{base}/pages/1/fields/0/",
        {
            "key": "kind",
            "type": "choice",
            "required": "on",
            "label_en": "Kind of vehicle",
            "label_zh_hant": "車輛類別",
            "label_zh_hans": "车辆类别",
            "choices": "car | Car | 私家車 | 私家车\nvan | Van | 客貨車 | 客货车",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    response = as_officer.post(
        f"{base}/pages/1/fields/new/",
        {
            "key": "van_weight",
            "type": "number",
            "label_en": "Weight (tonnes)",
            "label_zh_hant": "重量",
            "label_zh_hans": "重量",
            "min": "1",
            "max": "24",
            "show_if_field": "kind",
            "show_if_values": "van",
        },
    )
    assert response.status_code == 302
    version = FormVersion.objects.get(form=form)
    field = version.definition["pages"][1]["fields"][1]
    assert field == {
        "key": "van_weight",
        "type": "number",
        "label": {"en": "Weight (tonnes)", "zh-hant": "重量", "zh-hans": "重量"},
        "min": 1,
        "max": 24,
        "show_if": {"field": "kind", "equals": "van"},
    }
    # Publishing needs all three languages: the starter page is English only.
    page = as_officer.get(f"{BO}/{form.public_id}/").content.decode()
    assert "To publish, fix these first" in page and "pages[0].title" in page
    as_officer.post(f"{base}/publish/")
    assert FormVersion.objects.get(form=form).status == FormVersion.Status.DRAFT
    definition = version.definition | {"pages": [version.definition["pages"][1]]}
    response = as_officer.post(f"{base}/json/", {"definition": json.dumps(definition)})
    assert response.status_code == 302
    assert as_officer.get(f"{base}/preview/").status_code == 200
    as_officer.post(
        f"{base}/settings/",
        {
            "required_assurance": 1,
            "fee": "120.50",
            "draft_retention_days": 10,
            "title_en": "Apply for a permit",
            "title_zh_hant": "申請許可證",
            "title_zh_hans": "申请许可证",
        },
    )
    version.refresh_from_db()
    assert version.fee_cents == 12_050 and version.draft_retention_days == 10
    assert as_officer.post(f"{base}/publish/").status_code == 302
    version.refresh_from_db()
    form.refresh_from_db()
    assert version.status == FormVersion.Status.PUBLISHED and form.published_version == version
    assert form.status == Form.Status.PUBLISHED
    # Published: the editors refuse, the model refuses too.
    response = as_officer.post(f"{base}/json/", {"definition": json.dumps(PARKING)})
    assert (
        response.status_code == 302
        and FormVersion.objects.get(pk=version.pk).definition == version.definition
    )
    # A new draft version copies it; publishing it retires version 1.
    as_officer.post(f"{BO}/{form.public_id}/new-version/")
    second = FormVersion.objects.get(form=form, number=2)
    assert second.definition == version.definition and second.status == FormVersion.Status.DRAFT
    as_officer.post(f"{BO}/{form.public_id}/v2/publish/")
    version.refresh_from_db()
    second.refresh_from_db()
    assert version.status == FormVersion.Status.RETIRED and second.status == FormVersion.Status.PUBLISHED
    as_officer.post(f"{BO}/{form.public_id}/retire/")
    form.refresh_from_db()
    assert form.status == Form.Status.RETIRED and form.published_version is None


def test_invalid_edits_name_the_problem_and_change_nothing(as_officer: Client, transport: object) -> None:
    form = create(as_officer, transport)
    base = f"{BO}/{form.public_id}/v1"
    before = FormVersion.objects.get(form=form).definition
    response = as_officer.post(f"{base}/json/", {"definition": '{"title": {"en": "x"}, "pages": [}'})
    assert response.status_code == 400 and "not valid JSON" in response.content.decode()
    response = as_officer.post(
        f"{base}/pages/0/fields/new/",
        {"key": "bad", "type": "text", "label_en": "Bad", "pattern": "(a+)+"},
    )
    assert response.status_code == 400 and "pages[0].fields[1].pattern" in response.content.decode()
    response = as_officer.post(
        f"{base}/pages/0/fields/new/",
        {
            "key": "later",
            "type": "text",
            "label_en": "Later",
            "show_if_field": "nowhere",
            "show_if_values": "x",
        },
    )
    assert response.status_code == 400 and "not a field asked before it" in response.content.decode()
    assert FormVersion.objects.get(form=form).definition == before


def test_moving_and_deleting_questions(as_officer: Client, transport: object) -> None:
    form = create(as_officer, transport)
    base = f"{BO}/{form.public_id}/v1"
    as_officer.post(f"{base}/pages/0/fields/new/", {"key": "second", "type": "email", "label_en": "Email"})
    as_officer.post(f"{base}/structure/", {"page": 0, "field": 1, "action": "up"})
    keys = [field["key"] for field in FormVersion.objects.get(form=form).definition["pages"][0]["fields"]]
    assert keys == ["second", "name"]
    as_officer.post(f"{base}/structure/", {"page": 0, "field": 0, "action": "delete"})
    keys = [field["key"] for field in FormVersion.objects.get(form=form).definition["pages"][0]["fields"]]
    assert keys == ["name"]
    # The last question of a page cannot go: the definition would be invalid.
    as_officer.post(f"{base}/structure/", {"page": 0, "field": 0, "action": "delete"})
    assert len(FormVersion.objects.get(form=form).definition["pages"][0]["fields"]) == 1


def test_only_officers_of_the_department_reach_the_builder(
    as_officer: Client, transport: object, parking: FormVersion
) -> None:
    form = parking.form
    other_officer = OfficerMembershipFactory().user
    resident = UserFactory()
    urls = [
        f"{BO}/{form.public_id}/",
        f"{BO}/{form.public_id}/v{parking.number}/preview/",
        f"{BO}/{form.public_id}/v{parking.number}/json/",
    ]
    for user in (other_officer, resident):
        client = signed_in(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(f"{BO}/{form.public_id}/retire/").status_code == 404
    assert signed_in(resident).get(f"{BO}/").status_code == 404
    assert Client().get(f"{BO}/").status_code == 302  # anonymous → sign in
    # The other officer cannot create a form for a department that is not theirs.
    response = signed_in(other_officer).post(
        f"{BO}/new/",
        {"department": transport.pk, "slug": "sneaky", "reference_prefix": "SN", "title_en": "x"},
    )
    assert response.status_code == 400 and not Form.objects.filter(slug="sneaky").exists()
    for url in urls:
        assert as_officer.get(url).status_code in (200, 302)
    form.refresh_from_db()
    assert form.status == Form.Status.PUBLISHED


def test_answer_types_and_eid_sources_are_named_in_the_officers_language(
    as_officer: Client, transport: object
) -> None:
    """Officers read "Hong Kong address" (香港地址) and "Name in Chinese", not hk_address and name_zh."""
    form = create(as_officer, transport)
    base = f"{BO}/{form.public_id}/v1"
    response = as_officer.post(
        f"{base}/pages/0/fields/new/",
        {"key": "chinese_name", "type": "text", "prefill": "name_zh", "label_en": "Name"},
    )
    assert response.status_code == 302, response.context["problems"]
    editor = as_officer.get(f"{base}/pages/0/fields/new/".replace("/en/", "/zh-hant/")).content.decode()
    assert "香港地址" in editor and ">hk_address<" not in editor
    assert "中文姓名" in editor
    overview = as_officer.get(f"/zh-hant/back-office/forms/{form.public_id}/").content.decode()
    assert "中文姓名" in overview and ": name_zh" not in overview
    assert as_officer.get(f"{base}/preview/").status_code == 200
