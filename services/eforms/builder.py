"""The form builder's writes: forms, draft versions, pages and fields, publish and retire.

Edits work on a copy of the draft version's definition and save it only if the whole definition
still validates (English only while drafting; all three languages to publish). A version that is
no longer a draft is never edited: the builder makes a new draft version instead.
"""

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from eid.public import ApplicationError, AssuranceLevel, Department, User, audit_log
from services.eforms.definition import validate_definition
from services.eforms.models import Form, FormVersion


def starter_definition(title: dict[str, str]) -> dict:
    return {
        "title": title,
        "pages": [
            {
                "key": "details",
                "title": {"en": "Your details"},
                "fields": [
                    {"key": "name", "type": "text", "label": {"en": "Your full name"}, "required": True}
                ],
            }
        ],
    }


def form_create(
    *, officer: User, department: Department, slug: str, reference_prefix: str, title: dict[str, str]
) -> Form:
    taken = ApplicationError(_("A form already uses this address name."), code="slug_taken")
    if Form.objects.filter(slug=slug).exists():
        raise taken
    with transaction.atomic():
        try:
            with transaction.atomic():
                form = Form.objects.create(
                    department=department,
                    slug=slug,
                    reference_prefix=reference_prefix.upper(),
                    created_by=officer,
                )
        except IntegrityError as error:  # created by someone else a moment ago
            raise taken from error
        FormVersion.objects.create(
            form=form,
            number=1,
            definition=validate_definition(starter_definition(title), complete=False),
            required_assurance=AssuranceLevel.SUBSTANTIAL,
            created_by=officer,
        )
        audit_log(event_type="eforms.form_created", actor=officer, data={"form": slug})
    return form


def draft_version_of(form: Form) -> FormVersion | None:
    return form.versions.filter(status=FormVersion.Status.DRAFT).order_by("-number").first()


def version_new_draft(*, form: Form, officer: User) -> FormVersion:
    """The form's draft version: the existing one, or a copy of the latest version."""
    with transaction.atomic():
        Form.objects.select_for_update().get(pk=form.pk)
        existing = draft_version_of(form)
        if existing is not None:
            return existing
        latest = form.versions.order_by("-number").first()
        number = (form.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        return FormVersion.objects.create(
            form=form,
            number=number,
            definition=copy.deepcopy(latest.definition) if latest else starter_definition({"en": form.slug}),
            required_assurance=latest.required_assurance if latest else AssuranceLevel.SUBSTANTIAL,
            fee_cents=latest.fee_cents if latest else None,
            signature_required=latest.signature_required if latest else False,
            draft_retention_days=latest.draft_retention_days if latest else 30,
            created_by=officer,
        )


def _editable(version: FormVersion) -> FormVersion:
    if version.status != FormVersion.Status.DRAFT:
        raise ApplicationError(
            _("A published or retired version cannot be changed. Make a new draft version."), code="immutable"
        )
    return version


def version_save_definition(*, version: FormVersion, definition: dict) -> FormVersion:
    """Save a new definition on a draft version; ValidationError (naming the place) if it is invalid."""
    _editable(version)
    validate_definition(definition, complete=False)
    with transaction.atomic():
        locked = FormVersion.objects.select_for_update().get(pk=version.pk)
        _editable(locked)
        locked.definition = definition
        locked.save()
    return locked


def version_save_settings(*, version: FormVersion, definition: dict, **settings: Any) -> FormVersion:
    _editable(version)
    validate_definition(definition, complete=False)
    with transaction.atomic():
        locked = FormVersion.objects.select_for_update().get(pk=version.pk)
        _editable(locked)
        locked.definition = definition
        for name, value in settings.items():
            setattr(locked, name, value)
        locked.save()
    return locked


def version_publish(*, version: FormVersion, officer: User) -> FormVersion:
    """Publish a draft: the form's published version retires, this one takes its place for new drafts."""
    _editable(version)
    validate_definition(version.definition, complete=True)
    with transaction.atomic():
        form = Form.objects.select_for_update().get(pk=version.form_id)
        now = timezone.now()
        for previous in form.versions.filter(status=FormVersion.Status.PUBLISHED):
            previous.status = FormVersion.Status.RETIRED
            previous.retired_at = now
            previous.save()
        version = FormVersion.objects.select_for_update().get(pk=version.pk)
        _editable(version)
        version.status = FormVersion.Status.PUBLISHED
        version.published_at = now
        version.save()
        form.status = Form.Status.PUBLISHED
        form.published_version = version
        form.save()
        audit_log(
            event_type="eforms.version_published",
            actor=officer,
            data={"form": form.slug, "version": version.number},
        )
    return version


def form_retire(*, form: Form, officer: User) -> Form:
    """Close the form: its published version retires; drafts of it can no longer be sent."""
    with transaction.atomic():
        form = Form.objects.select_for_update().get(pk=form.pk)
        now = timezone.now()
        for version in form.versions.filter(status=FormVersion.Status.PUBLISHED):
            version.status = FormVersion.Status.RETIRED
            version.retired_at = now
            version.save()
        form.status = Form.Status.RETIRED
        form.published_version = None
        form.save()
        audit_log(event_type="eforms.form_retired", actor=officer, data={"form": form.slug})
    return form


# Pure edits of a definition (the caller saves through version_save_definition) -------------------


def with_page(definition: dict, index: int | None, page: dict) -> dict:
    """A copy with `page` replacing pages[index] (keeping its fields), or appended when index is None."""
    result = copy.deepcopy(definition)
    pages = result.setdefault("pages", [])
    if index is None:
        pages.append({**page, "fields": page.get("fields", [])})
    else:
        _check_index(pages, index)
        pages[index] = {**page, "fields": pages[index].get("fields", [])}
    return result


def without_page(definition: dict, index: int) -> dict:
    result = copy.deepcopy(definition)
    _check_index(result["pages"], index)
    del result["pages"][index]
    return result


def with_field(definition: dict, page_index: int, field_index: int | None, field: dict) -> dict:
    result = copy.deepcopy(definition)
    _check_index(result["pages"], page_index)
    fields = result["pages"][page_index].setdefault("fields", [])
    if field_index is None:
        fields.append(field)
    else:
        _check_index(fields, field_index)
        fields[field_index] = field
    return result


def without_field(definition: dict, page_index: int, field_index: int) -> dict:
    result = copy.deepcopy(definition)
    _check_index(result["pages"], page_index)
    fields = result["pages"][page_index]["fields"]
    _check_index(fields, field_index)
    del fields[field_index]
    return result


def moved(items: list, index: int, delta: int) -> list:
    _check_index(items, index)
    target = index + delta
    if not 0 <= target < len(items):
        return list(items)
    result = list(items)
    result[index], result[target] = result[target], result[index]
    return result


def with_page_moved(definition: dict, index: int, delta: int) -> dict:
    result = copy.deepcopy(definition)
    result["pages"] = moved(result["pages"], index, delta)
    return result


def with_field_moved(definition: dict, page_index: int, field_index: int, delta: int) -> dict:
    result = copy.deepcopy(definition)
    _check_index(result["pages"], page_index)
    page = result["pages"][page_index]
    page["fields"] = moved(page["fields"], field_index, delta)
    return result


def _check_index(items: list, index: int) -> None:
    if not 0 <= index < len(items):
        raise ValidationError(_("There is no such page or question."), code="index")
