"""The form builder in the back office (/back-office/forms/): officers of the owning department only.

Anyone else — residents, officers of other departments — gets the same 404 as for a missing form.
"""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from eid.public import ApplicationError, Department, officer_department_ids
from services.eforms import builder
from services.eforms.builder_forms import FieldForm, JsonForm, NewFormForm, PageForm, SettingsForm
from services.eforms.definition import localised, validate_definition, visible_fields
from services.eforms.fields import page_form
from services.eforms.models import FormVersion
from services.eforms.selectors import access_form_for_officer, officer_form_queryset


def _departments(request: HttpRequest) -> set[int]:
    department_ids = officer_department_ids(officer=request.user)
    if not department_ids:
        raise Http404
    return department_ids


def _version(request: HttpRequest, form_id: Any, number: int) -> FormVersion:
    form = access_form_for_officer(officer=request.user, public_id=form_id)
    version = form.versions.filter(number=number).first()
    if version is None:
        raise Http404
    version.form = form
    return version


def _draft_only(request: HttpRequest, version: FormVersion) -> HttpResponse | None:
    if version.status != FormVersion.Status.DRAFT:
        messages.error(
            request, _("A published or retired version cannot be changed. Make a new draft version.")
        )
        return redirect("eforms_builder:form", form_id=version.form.public_id)
    return None


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


@login_required
def form_list(request: HttpRequest) -> HttpResponse:
    _departments(request)
    forms = officer_form_queryset(officer=request.user).order_by("department__code", "slug")
    return render(request, "eforms/builder/list.html", {"forms": forms})


@login_required
@require_http_methods(["GET", "POST"])
def form_new(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.filter(pk__in=_departments(request))
    form = NewFormForm(request.POST or None, departments=departments)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = builder.form_create(
                    officer=request.user,
                    department=form.cleaned_data["department"],
                    slug=form.cleaned_data["slug"],
                    reference_prefix=form.cleaned_data["reference_prefix"],
                    title=form.title(),
                )
            except ApplicationError as error:
                form.add_error("slug", error.message)
            else:
                return redirect("eforms_builder:form", form_id=created.public_id)
        status = 400
    return render(request, "eforms/builder/new.html", {"form": form}, status=status)


@login_required
def form_detail(request: HttpRequest, form_id: Any) -> HttpResponse:
    form = access_form_for_officer(officer=request.user, public_id=form_id)
    versions = list(form.versions.order_by("-number"))
    draft = next((version for version in versions if version.status == FormVersion.Status.DRAFT), None)
    problems: list[str] = []
    if draft is not None:
        try:
            validate_definition(draft.definition, complete=True)
        except ValidationError as error:
            problems = _errors(error)
    return render(
        request,
        "eforms/builder/form.html",
        {"form": form, "versions": versions, "draft": draft, "problems": problems},
    )


@login_required
@require_POST
def version_new(request: HttpRequest, form_id: Any) -> HttpResponse:
    form = access_form_for_officer(officer=request.user, public_id=form_id)
    builder.version_new_draft(form=form, officer=request.user)
    return redirect("eforms_builder:form", form_id=form.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def version_settings(request: HttpRequest, form_id: Any, number: int) -> HttpResponse:
    version = _version(request, form_id, number)
    if response := _draft_only(request, version):
        return response
    form = SettingsForm(request.POST or None, initial=SettingsForm.initial_from(version))
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            builder.version_save_settings(
                version=version, definition=form.apply_to(version.definition), **form.settings()
            )
        except ValidationError as error:
            problems = _errors(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("eforms_builder:form", form_id=version.form.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "eforms/builder/edit.html",
        {"version": version, "form": form, "problems": problems, "heading": _("Form settings")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_json(request: HttpRequest, form_id: Any, number: int) -> HttpResponse:
    version = _version(request, form_id, number)
    if response := _draft_only(request, version):
        return response
    form = JsonForm(
        request.POST or None,
        initial={"definition": json.dumps(version.definition, indent=2, ensure_ascii=False)},
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            builder.version_save_definition(version=version, definition=form.cleaned_data["definition"])
        except ValidationError as error:
            problems = _errors(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("eforms_builder:form", form_id=version.form.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "eforms/builder/edit.html",
        {"version": version, "form": form, "problems": problems, "heading": _("Edit the definition (JSON)")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def page_edit(request: HttpRequest, form_id: Any, number: int, page_index: int | None = None) -> HttpResponse:
    version = _version(request, form_id, number)
    if response := _draft_only(request, version):
        return response
    pages = version.definition.get("pages", [])
    if page_index is not None and not 0 <= page_index < len(pages):
        raise Http404
    initial = PageForm.initial_from(pages[page_index]) if page_index is not None else {}
    form = PageForm(request.POST or None, initial=initial)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        page = form.to_definition()
        definition = builder.with_page(version.definition, page_index, page)
        if page_index is None:
            # A new page needs a first question: a placeholder the officer edits next.
            definition["pages"][-1]["fields"] = [
                {"key": f"{page['key']}_answer"[:40], "type": "text", "label": {"en": "New question"}}
            ]
        try:
            builder.version_save_definition(version=version, definition=definition)
        except ValidationError as error:
            problems = _errors(error)
        else:
            return redirect("eforms_builder:form", form_id=version.form.public_id)
    heading = _("Edit page") if page_index is not None else _("Add a page")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "eforms/builder/edit.html",
        {"version": version, "form": form, "problems": problems, "heading": heading},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def field_edit(
    request: HttpRequest, form_id: Any, number: int, page_index: int, field_index: int | None = None
) -> HttpResponse:
    version = _version(request, form_id, number)
    if response := _draft_only(request, version):
        return response
    pages = version.definition.get("pages", [])
    if not 0 <= page_index < len(pages):
        raise Http404
    fields = pages[page_index].get("fields", [])
    if field_index is not None and not 0 <= field_index < len(fields):
        raise Http404
    initial = FieldForm.initial_from(fields[field_index]) if field_index is not None else {"type": "text"}
    form = FieldForm(request.POST or None, initial=initial)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        definition = builder.with_field(version.definition, page_index, field_index, form.to_definition())
        try:
            builder.version_save_definition(version=version, definition=definition)
        except ValidationError as error:
            problems = _errors(error)
        else:
            return redirect("eforms_builder:form", form_id=version.form.public_id)
    heading = _("Edit question") if field_index is not None else _("Add a question")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "eforms/builder/edit.html",
        {"version": version, "form": form, "problems": problems, "heading": heading},
        status=status,
    )


@login_required
@require_POST
def structure_change(request: HttpRequest, form_id: Any, number: int) -> HttpResponse:
    """Delete or move a page or a question (small POST forms next to each on the form page)."""
    version = _version(request, form_id, number)
    if response := _draft_only(request, version):
        return response
    try:
        page_index = int(request.POST.get("page", ""))
        field_raw = request.POST.get("field", "")
        field_index = int(field_raw) if field_raw != "" else None
    except ValueError as error:
        raise Http404 from error
    action = request.POST.get("action")
    definition = version.definition
    try:
        if action == "delete" and field_index is None:
            definition = builder.without_page(definition, page_index)
        elif action == "delete":
            definition = builder.without_field(definition, page_index, field_index)
        elif action in ("up", "down"):
            delta = -1 if action == "up" else 1
            if field_index is None:
                definition = builder.with_page_moved(definition, page_index, delta)
            else:
                definition = builder.with_field_moved(definition, page_index, field_index, delta)
        else:
            raise Http404
        builder.version_save_definition(version=version, definition=definition)
    except ValidationError as error:
        for problem in _errors(error):
            messages.error(request, problem)
    return redirect("eforms_builder:form", form_id=version.form.public_id)


@login_required
@require_POST
def version_publish(request: HttpRequest, form_id: Any, number: int) -> HttpResponse:
    version = _version(request, form_id, number)
    if response := _draft_only(request, version):
        return response
    try:
        builder.version_publish(version=version, officer=request.user)
    except ValidationError as error:
        for problem in _errors(error):
            messages.error(request, problem)
    else:
        messages.success(request, _("Published. New applications use this version."))
    return redirect("eforms_builder:form", form_id=version.form.public_id)


@login_required
@require_POST
def form_retire(request: HttpRequest, form_id: Any) -> HttpResponse:
    form = access_form_for_officer(officer=request.user, public_id=form_id)
    builder.form_retire(form=form, officer=request.user)
    messages.success(request, _("The form is closed to new applications."))
    return redirect("eforms_builder:form", form_id=form.public_id)


@login_required
def version_preview(request: HttpRequest, form_id: Any, number: int) -> HttpResponse:
    """Every page of a version as residents would see it (conditional questions marked), no saving."""
    version = _version(request, form_id, number)
    definition = version.definition
    pages = []
    for page in definition.get("pages", []):
        form = page_form(page=page, answers={}, prefilled={}, files_present=set())
        items = []
        for field in page.get("fields", []):
            entry: dict[str, Any] = {"field": field, "kind": field["type"], "key": field["key"]}
            if field["key"] in form.fields:
                entry["bound"] = form[field["key"]]
            if field["type"] == "hk_address":
                entry["parts"] = [
                    form[f"{field['key']}__{part}"] for part in ("flat", "building", "street", "district")
                ]
                entry["legend"] = localised(field["label"])
            if field.get("show_if"):
                entry["condition"] = field["show_if"]
            if field.get("prefill"):
                entry["prefill"] = field["prefill"]
            items.append(entry)
        pages.append({"page": page, "items": items, "shown": bool(visible_fields(page, {}))})
    return render(
        request, "eforms/builder/preview.html", {"version": version, "definition": definition, "pages": pages}
    )
