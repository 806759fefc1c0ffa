"""The resident's journey through a form (thin views; the work is in actions and selectors).

start → prefill consent (when the form maps eID claims) → one page per question group →
check your answers → sign (when required) → pay (when there is a fee) → confirmation and receipt.
"""

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eid.public import (
    SCOPE_DESCRIPTIONS,
    ApplicationError,
    PermissionDeniedError,
    audit_log,
    session_assurance_level,
)
from services.eforms import actions
from services.eforms.definition import (
    DEFAULT_FILE_SIZE,
    PREFILL_SOURCES,
    fields_by_key,
    localised,
    prefill_scopes,
    visible_fields,
    visible_pages,
)
from services.eforms.fields import display_value, page_form, validate_page
from services.eforms.models import Draft, Form, FormVersion, Submission
from services.eforms.selectors import (
    access_attachment_by_public_id,
    access_draft_by_public_id,
    access_submission_by_public_id,
    drafts_for_resident,
    published_form_by_slug,
    published_forms,
    submissions_for_resident,
)
from services.eforms.storage import attachment_response


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "eforms/index.html",
        {
            "forms": published_forms(),
            "drafts": drafts_for_resident(citizen=request.user),
            "submissions": submissions_for_resident(citizen=request.user)[:20],
        },
    )


# Helpers ------------------------------------------------------------------------------------------


def _step_up(request: HttpRequest, version: FormVersion) -> HttpResponse | None:
    """The form's own assurance level (the service's guard only asks for the lowest)."""
    level = session_assurance_level(request)
    if level is None or level < version.required_assurance:
        query = urlencode({"level": int(version.required_assurance), "next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('eid:step_up')}?{query}")
    return None


def _draft(request: HttpRequest, draft_id: Any) -> Draft:
    """The resident's own unexpired draft; anything else is a 404 (missing or not yours)."""
    draft = access_draft_by_public_id(citizen=request.user, public_id=draft_id)
    if draft.expires_at <= timezone.now():
        raise Http404
    return draft


def _draft_or_done(request: HttpRequest, draft_id: Any) -> Draft | HttpResponse:
    """The draft, or (sent already: a second press, the back button) its submission's confirmation."""
    try:
        return _draft(request, draft_id)
    except Http404:
        done = Submission.objects.filter(draft_token=draft_id, resident=request.user).first()
        if done is None:
            raise
        return redirect("eforms:confirmation", submission_id=done.public_id)


def _is_open(version: FormVersion) -> bool:
    return version.status == FormVersion.Status.PUBLISHED and version.form.status == Form.Status.PUBLISHED


def _combined(draft: Draft) -> tuple[dict, dict]:
    prefilled = actions.draft_prefilled(draft=draft)
    return {**draft.answers, **prefilled}, prefilled


def _page_url(draft: Draft, page_key: str, *, back_to_check: bool = False) -> str:
    url = reverse("eforms:page", kwargs={"draft_id": draft.public_id, "page_key": page_key})
    return f"{url}?return=check" if back_to_check else url


def _next_step_url(draft: Draft) -> str:
    """Where a resumed draft continues: consent, the page it stopped at, or check your answers."""
    if not _is_open(draft.version):
        return reverse("eforms:closed", kwargs={"draft_id": draft.public_id})
    if actions.needs_consent(draft.version) and draft.prefill_consent is None:
        return reverse("eforms:consent", kwargs={"draft_id": draft.public_id})
    combined, _prefilled = _combined(draft)
    pages = visible_pages(draft.version.definition, combined)
    keys = [page["key"] for page in pages]
    if draft.current_page == "check":
        return reverse("eforms:check", kwargs={"draft_id": draft.public_id})
    if draft.current_page in keys:
        return _page_url(draft, draft.current_page)
    return _page_url(draft, keys[0])


def _closed_guard(draft: Draft) -> HttpResponse | None:
    if not _is_open(draft.version):
        return redirect("eforms:closed", draft_id=draft.public_id)
    return None


# Start, resume, consent ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    form, version = published_form_by_slug(slug=slug)
    if response := _step_up(request, version):
        return response
    if request.method == "POST":
        # draft_start reads (and locks) the existing draft itself; only "start again" needs it here.
        if request.POST.get("action") == "restart":
            existing = Draft.objects.filter(resident=request.user, form=form).first()
            if existing is not None:
                actions.draft_restart(draft=existing)
        try:
            draft = actions.draft_start(citizen=request.user, form=form, version=version)
        except ApplicationError as error:
            return render(request, "eforms/error.html", {"message": error.message}, status=409)
        return HttpResponseRedirect(_next_step_url(draft))
    existing = Draft.objects.filter(resident=request.user, form=form).select_related("version").first()
    return render(
        request,
        "eforms/start.html",
        {
            "form": form,
            "version": version,
            "definition": version.definition,
            "existing": existing if existing and existing.expires_at > timezone.now() else None,
            "retention_days": version.draft_retention_days,
            "scopes": [SCOPE_DESCRIPTIONS[scope] for scope in prefill_scopes(version.definition)],
        },
    )


def resume(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft(request, draft_id)
    if response := _step_up(request, draft.version):
        return response
    return HttpResponseRedirect(_next_step_url(draft))


@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft(request, draft_id)
    if response := _step_up(request, draft.version) or _closed_guard(draft):
        return response
    definition = draft.version.definition
    if not actions.needs_consent(draft.version):
        return HttpResponseRedirect(_next_step_url(draft))
    error = ""
    if request.method == "POST":
        choice = request.POST.get("prefill")
        if choice in ("yes", "no"):
            actions.draft_set_consent(draft=draft, consent=choice == "yes")
            draft.refresh_from_db()
            return HttpResponseRedirect(_next_step_url(draft))
        error = _("Choose whether to use your eID details.")
    mapped = [
        {
            "label": localised(field["label"]),
            "scope": SCOPE_DESCRIPTIONS[PREFILL_SOURCES[field["prefill"]][0]],
        }
        for field in fields_by_key(definition).values()
        if field.get("prefill")
    ]
    return render(
        request,
        "eforms/consent.html",
        {"draft": draft, "definition": definition, "mapped": mapped, "error": error},
        status=400 if error else 200,
    )


# Question pages -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, draft_id: Any, page_key: str) -> HttpResponse:
    draft = _draft(request, draft_id)
    if response := _step_up(request, draft.version) or _closed_guard(draft):
        return response
    if actions.needs_consent(draft.version) and draft.prefill_consent is None:
        return redirect("eforms:consent", draft_id=draft.public_id)
    definition = draft.version.definition
    combined, prefilled = _combined(draft)
    pages = visible_pages(definition, combined)
    keys = [item["key"] for item in pages]
    if page_key not in keys:
        # A hidden or unknown page: back to where the resident should be.
        return HttpResponseRedirect(_next_step_url(draft))
    current = pages[keys.index(page_key)]
    back_to_check = request.GET.get("return") == "check"
    has_files = any(field["type"] == "file" for field in current["fields"])
    # Only a page with a file question needs to know the draft's files (required-ness, links).
    files_present = set(draft.attachments.values_list("field", flat=True)) if has_files else set()
    page_prefilled = {
        field["key"]: prefilled[field["key"]] for field in current["fields"] if field["key"] in prefilled
    }
    status = 200
    if request.method == "POST" and _body_too_large(request, current):
        message = _("The files you sent are too large. Check the size limit of each upload.")
        return render(request, "eforms/error.html", {"message": message}, status=413)
    if request.method == "POST":
        form = page_form(
            page=current,
            answers=combined,
            prefilled=page_prefilled,
            files_present=files_present,
            data=request.POST,
            files=request.FILES,
        )
        save_for_later = request.POST.get("action") == "save"
        if save_for_later and not validate_page(form, answers=combined):
            # Saving for later keeps what is valid so far; the rest is asked again on return.
            actions.draft_save_page(
                draft=draft,
                page_key=page_key,
                answers=form.answers(),
                uploads=form.uploads(),
                next_page=page_key,
            )
            return redirect("eforms:saved", draft_id=draft.public_id)
        if validate_page(form, answers=combined):
            # The next page is computed with the new answers (they may show or hide pages).
            after = {**combined, **form.answers()}
            new_keys = [item["key"] for item in visible_pages(definition, after)]
            position = new_keys.index(page_key) if page_key in new_keys else -1
            following = new_keys[position + 1] if 0 <= position < len(new_keys) - 1 else "check"
            next_page = page_key if save_for_later else ("check" if back_to_check else following)
            actions.draft_save_page(
                draft=draft,
                page_key=page_key,
                answers=form.answers(),
                uploads=form.uploads(),
                next_page=next_page,
            )
            if save_for_later:
                return redirect("eforms:saved", draft_id=draft.public_id)
            if next_page == "check":
                return redirect("eforms:check", draft_id=draft.public_id)
            return HttpResponseRedirect(_page_url(draft, next_page))
        status = 400
    else:
        form = page_form(
            page=current, answers=combined, prefilled=page_prefilled, files_present=files_present
        )
    position = keys.index(page_key)
    if back_to_check:
        back_url = reverse("eforms:check", kwargs={"draft_id": draft.public_id})
    elif position > 0:
        back_url = _page_url(draft, keys[position - 1])
    elif actions.needs_consent(draft.version):
        back_url = reverse("eforms:consent", kwargs={"draft_id": draft.public_id})
    else:
        back_url = reverse("eforms:start", kwargs={"slug": draft.form.slug})
    attachments = (
        {attachment.field: attachment for attachment in draft.attachments.all()} if has_files else {}
    )
    items = _page_items(form, current, combined, page_prefilled, attachments)
    return render(
        request,
        "eforms/page.html",
        {
            "draft": draft,
            "definition": definition,
            "page": current,
            "form": form,
            "items": items,
            "step": position + 1,
            "steps": len(keys),
            "back_url": back_url,
            "multipart": has_files,
        },
        status=status,
    )


def _body_too_large(request: HttpRequest, current: dict) -> bool:
    """Refuse an oversized upload from its Content-Length, before Django spools it to disk."""
    allowed = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + sum(
        field.get("max_size", DEFAULT_FILE_SIZE) + 64 * 1024
        for field in current["fields"]
        if field["type"] == "file"
    )
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > allowed
    except ValueError:
        return True


def _page_items(
    form: Any, current: dict, combined: dict, prefilled: dict, attachments: dict
) -> list[dict[str, Any]]:
    """What the page shows, in order: read-only prefilled values and the form's questions."""
    items: list[dict[str, Any]] = []
    by_key = {field["key"]: field for field in form.definition_fields}
    shown = {field["key"] for field in visible_fields(current, combined)} | form.conditional_keys
    for field in current["fields"]:
        key = field["key"]
        if key not in shown:
            continue
        if key in prefilled:
            items.append(
                {
                    "key": key,
                    "kind": "prefilled",
                    "label": localised(field["label"]),
                    "value": display_value(field, prefilled[key]),
                }
            )
        elif key in by_key:
            entry: dict[str, Any] = {"key": key, "kind": field["type"], "field": field}
            if field["type"] == "hk_address":
                entry["legend"] = localised(field["label"])
                entry["help"] = localised(field.get("help"))
                entry["parts"] = [
                    form[f"{key}__{part}"] for part in ("flat", "building", "street", "district")
                ]
                entry["required"] = bool(field.get("required"))
            else:
                entry["bound"] = form[key]
            if key in form.conditional_keys:
                condition = field["show_if"]
                controlling = fields_by_key({"pages": [current]}).get(condition["field"], {})
                values = condition.get("in") or [condition.get("equals")]
                entry["condition"] = _("Answer only if “%(question)s” is %(values)s.") % {
                    "question": localised(controlling.get("label")),
                    "values": " / ".join(display_value(controlling, value) for value in values),
                }
            if field["type"] == "file" and key in attachments:
                entry["attachment"] = attachments[key]
            items.append(entry)
    return items


@require_http_methods(["GET"])
def saved(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft(request, draft_id)
    return render(request, "eforms/saved.html", {"draft": draft, "definition": draft.version.definition})


@require_POST
def restart(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft(request, draft_id)
    slug = draft.form.slug
    actions.draft_restart(draft=draft)
    return redirect("eforms:start", slug=slug)


@require_http_methods(["GET", "POST"])
def closed(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """The draft's version was retired: offer to carry the answers over to the current version."""
    draft = _draft(request, draft_id)
    if _is_open(draft.version):
        return HttpResponseRedirect(_next_step_url(draft))
    current_open = draft.form.status == Form.Status.PUBLISHED and draft.form.published_version_id is not None
    if request.method == "POST" and current_open:
        draft = actions.draft_move_to_current_version(draft=draft)
        return HttpResponseRedirect(_next_step_url(draft))
    return render(
        request,
        "eforms/closed.html",
        {"draft": draft, "definition": draft.version.definition, "current_open": current_open},
        status=409,
    )


# Check your answers, sign, submit -----------------------------------------------------------------


def _summary(draft: Draft, answers: dict[str, Any], prefilled: dict[str, Any]) -> list[dict[str, Any]]:
    attachments = {str(attachment.public_id): attachment for attachment in draft.attachments.all()}
    sections = []
    for current in visible_pages(draft.version.definition, answers):
        rows = []
        for field in visible_fields(current, answers):
            value = answers.get(field["key"])
            if field["type"] == "file":
                attachment = attachments.get(value or "")
                text = attachment.original_name if attachment else ""
            else:
                text = display_value(field, value)
            rows.append(
                {
                    "key": field["key"],
                    "label": localised(field["label"]),
                    "value": text,
                    "prefilled": field["key"] in prefilled,
                    "change_url": _page_url(draft, current["key"], back_to_check=True),
                }
            )
        sections.append({"title": localised(current["title"]), "rows": rows})
    return sections


@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft_or_done(request, draft_id)
    if isinstance(draft, HttpResponse):
        return draft
    if response := _step_up(request, draft.version) or _closed_guard(draft):
        return response
    answers, prefilled = actions.final_answers(draft=draft)
    missing = actions.missing_answers(draft=draft, answers=answers)
    version = draft.version
    if request.method == "POST" and not missing:
        if version.signature_required:
            actions.draft_mark_checked(draft=draft)
            return redirect("eforms:sign", draft_id=draft.public_id)
        # Confirmed here and sent in one transaction (the draft is not marked checked separately).
        return _submit(request, draft.public_id, checked_now=True)
    sections = _summary(draft, answers, prefilled)
    return render(
        request,
        "eforms/check.html",
        {
            "draft": draft,
            "version": version,
            "definition": version.definition,
            "sections": sections,
            "missing": [
                {"label": localised(item.label), "url": _page_url(draft, item.page_key, back_to_check=True)}
                for item in missing
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


def _reauthenticate(request: HttpRequest, draft: Draft) -> HttpResponse:
    here = reverse("eforms:sign", kwargs={"draft_id": draft.public_id})
    return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': here})}")


def _submit(request: HttpRequest, draft_id: Any, *, checked_now: bool = False) -> HttpResponse:
    try:
        submission = actions.submission_from_draft(
            draft_id=draft_id, citizen=request.user, request=request, checked_now=checked_now
        )
    except PermissionDeniedError as error:
        if error.code == "step_up_required":
            return _reauthenticate(request, _draft(request, draft_id))
        raise
    except ApplicationError as error:
        if error.code == "not_found":
            raise Http404 from error
        if error.code == "version_closed":
            return redirect("eforms:closed", draft_id=draft_id)
        if error.code in ("incomplete", "not_checked"):
            messages.error(request, error.message)
            return redirect("eforms:check", draft_id=draft_id)
        return render(request, "eforms/error.html", {"message": error.message}, status=400)
    if submission.status == Submission.Status.PAYMENT_PENDING:
        return _pay(request, submission)
    return redirect("eforms:confirmation", submission_id=submission.public_id)


def _pay(request: HttpRequest, submission: Submission) -> HttpResponse:
    try:
        return HttpResponseRedirect(
            actions.submission_payment_start(submission=submission, citizen=request.user)
        )
    except (ApplicationError, PermissionDeniedError) as error:
        messages.error(request, error.message)
        return redirect("eforms:confirmation", submission_id=submission.public_id)


@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft_or_done(request, draft_id)
    if isinstance(draft, HttpResponse):
        return draft
    if response := _step_up(request, draft.version) or _closed_guard(draft):
        return response
    if not draft.version.signature_required or draft.checked_at is None:
        return redirect("eforms:check", draft_id=draft.public_id)
    if request.method == "POST":
        return _submit(request, draft.public_id)
    answers, _prefilled = actions.final_answers(draft=draft)
    fingerprint = hashlib.sha256(actions.signing_payload(draft=draft, answers=answers)).hexdigest()[:16]
    return render(
        request,
        "eforms/sign.html",
        {"draft": draft, "definition": draft.version.definition, "fingerprint": fingerprint},
    )


@require_POST
def submit(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """Send a checked draft that needs no signature (the check page posts here too via _submit)."""
    draft = _draft_or_done(request, draft_id)
    if isinstance(draft, HttpResponse):
        return draft
    if response := _step_up(request, draft.version):
        return response
    if draft.version.signature_required:
        return redirect("eforms:sign", draft_id=draft.public_id)
    return _submit(request, draft.public_id)


# After submission ---------------------------------------------------------------------------------


def confirmation(request: HttpRequest, submission_id: Any) -> HttpResponse:
    submission = access_submission_by_public_id(citizen=request.user, public_id=submission_id)
    return render(
        request,
        "eforms/confirmation.html",
        {
            "submission": submission,
            "definition": submission.version.definition,
            "attachments": submission.attachments.all(),
            "events": submission.events.filter(visible_to_resident=True),
        },
    )


@require_POST
def pay(request: HttpRequest, submission_id: Any) -> HttpResponse:
    submission = access_submission_by_public_id(citizen=request.user, public_id=submission_id)
    return _pay(request, submission)


@require_GET
def receipt(request: HttpRequest, submission_id: Any) -> HttpResponse:
    from services.eforms.receipts import receipt_sealed

    submission = access_submission_by_public_id(citizen=request.user, public_id=submission_id)
    if submission.status == Submission.Status.PAYMENT_PENDING:
        raise Http404
    sealed = receipt_sealed(submission=submission, language=get_language() or "en")
    response = HttpResponse(sealed.signature, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{submission.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_download(request: HttpRequest, attachment_id: Any) -> HttpResponse:
    """The file, to its owner only (officers use the audited case page); the same 404 for anyone else."""
    attachment = access_attachment_by_public_id(user=request.user, public_id=attachment_id)
    return attachment_response(attachment)


@require_http_methods(["GET", "POST"])
def report_wrong_value(request: HttpRequest, draft_id: Any, field_key: str) -> HttpResponse:
    """A prefilled value is wrong: record the report and say how to correct the eID record."""
    draft = _draft(request, draft_id)
    field = fields_by_key(draft.version.definition).get(field_key)
    if field is None or not field.get("prefill"):
        raise Http404
    if request.method == "POST":
        audit_log(
            event_type="eforms.prefill_reported",
            actor=request.user,
            subject=request.user,
            request=request,
            data={"form": draft.form.slug, "field": field_key, "source": field["prefill"]},
        )
        messages.success(request, _("Thank you. We have recorded that this value is wrong."))
        return HttpResponseRedirect(_next_step_url(draft))
    return render(
        request,
        "eforms/report_wrong_value.html",
        {"draft": draft, "label": localised(field["label"]), "source": field["prefill"]},
    )
