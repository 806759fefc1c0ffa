"""The resident's inbox (mounted behind the service guard) and the officers' sent-messages view."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eid.public import LANGUAGE_CODES, ApplicationError, audit_log, officer_department_ids
from services.notifications import actions, rendering, selectors
from services.notifications.forms import PreferencesForm
from services.notifications.models import Channel, Topic

PAGE_SIZE = 20
LANGUAGES = [(code, name) for code, name in settings.LANGUAGES]


def inbox(request: HttpRequest) -> HttpResponse:
    messages = selectors.message_list_for_citizen(citizen=request.user)
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = selectors.inbox_summary(citizen=request.user)
    return render(request, "notifications/inbox.html", {"page": page, "summary": summary})


def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.access_message_by_id(citizen=request.user, message_id=message_id)
    actions.message_mark_read(message=message)
    return render(request, "notifications/message.html", {"message": message})


@require_POST
def message_mark(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.access_message_by_id(citizen=request.user, message_id=message_id)
    if request.POST.get("state") == "unread":
        actions.message_mark_unread(message=message)
    else:
        actions.message_mark_read(message=message)
    return HttpResponseRedirect(reverse("inbox:index"))


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    actions.inbox_mark_all_read(citizen=request.user)
    return HttpResponseRedirect(reverse("inbox:index"))


@login_required
def officer_sent_messages(request: HttpRequest) -> HttpResponse:
    department_ids = officer_department_ids(officer=request.user)
    if not department_ids:
        raise Http404
    messages = selectors.message_list_for_departments(department_ids=department_ids)
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/officer_sent.html", {"page": page})


@login_required
def officer_message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    department_ids = officer_department_ids(officer=request.user)
    message = selectors.access_message_for_officer(department_ids=department_ids, message_id=message_id)
    audit_log(
        event_type="officer.record_opened",
        actor=request.user,
        subject=message.recipient,
        request=request,
        data={"record": "notifications.message", "id": message.pk},
    )
    return render(request, "notifications/officer_message.html", {"message": message})


@login_required
def officer_template_list(request: HttpRequest) -> HttpResponse:
    department_ids = officer_department_ids(officer=request.user)
    if not department_ids:
        raise Http404
    templates = selectors.template_list_for_departments(department_ids=department_ids)
    return render(request, "notifications/officer_templates.html", {"templates": templates})


@login_required
def officer_template_preview(
    request: HttpRequest, template_id: UUID, version: int | None = None
) -> HttpResponse:
    """One version of a template in the three languages, with sample personalisation: each
    placeholder shows its name unless the officer types a value (?name=value) to try."""
    department_ids = officer_department_ids(officer=request.user)
    template_version = selectors.template_version_for_officer(
        department_ids=department_ids, template_id=template_id, version=version
    )
    template = template_version.template
    names = sorted(
        rendering.content_placeholders(
            {language: template_version.text(language) for language in LANGUAGE_CODES}
        )
    )
    samples = {name: request.GET.get(name, "")[: rendering.MAX_VALUE_CHARS] or f"[{name}]" for name in names}
    previews = []
    for code, label in LANGUAGES:
        subject, body = (rendering.render(text, samples) for text in template_version.text(code))
        previews.append(
            {
                "code": code,
                "label": label,
                "subject": subject,
                "body": body,
                "sms_chars": len(body),
                "sms_too_long": len(body) > rendering.MAX_SMS_CHARS,
            }
        )
    return render(
        request,
        "notifications/officer_template.html",
        {
            "template": template,
            "version": template_version,
            "versions": list(template.versions.values_list("version", flat=True)),
            "names": names,
            "samples": [(name, request.GET.get(name, "")) for name in names],
            "previews": previews,
            "max_sms_chars": rendering.MAX_SMS_CHARS,
        },
    )


# Preferences (behind the service guard) and unsubscribing (a signed link, no sign-in) ---------------


def preferences(request: HttpRequest) -> HttpResponse:
    current = selectors.preferences_for_citizen(citizen=request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            # One save: a failure in any part leaves all the resident's preferences as they were.
            with transaction.atomic():
                _preferences_save(request, form)
            django_messages.success(request, _("Your notification preferences have been saved."))
            return HttpResponseRedirect(reverse("inbox:preferences"))
    else:
        quiet_hours = selectors.quiet_hours_for(citizen=request.user)
        form = PreferencesForm(
            initial={
                "districts": sorted(current.districts),
                "area_topics": sorted(current.area_topics),
                "language": request.user.preferred_language,
                "quiet_start": quiet_hours.start if quiet_hours else None,
                "quiet_end": quiet_hours.end if quiet_hours else None,
            }
        )
    rows = [
        {
            "topic": topic,
            "cells": [
                {
                    "channel": channel,
                    "value": f"{channel.value}:{topic.value}",
                    # After a refused POST the page shows what the resident ticked, not the saved state.
                    "checked": (
                        f"{channel.value}:{topic.value}" in form["receive"].value()
                        if form.is_bound
                        else (channel.value, topic.value) not in current.opted_out
                    ),
                }
                for channel in Channel
            ],
        }
        for topic in Topic
    ]
    return render(
        request, "notifications/preferences.html", {"form": form, "rows": rows, "channels": list(Channel)}
    )


@csrf_exempt  # the signed token is the authority; RFC 8058 one-click POSTs carry no CSRF token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        fields = actions.unsubscribe_read(token=token)
    except ApplicationError as error:
        return render(request, "notifications/unsubscribe.html", {"error": error.message}, status=400)
    context = {"token": token, "channel": Channel(fields["c"]).label, "topic": Topic(fields["t"]).label}
    if request.method == "POST":
        actions.unsubscribe_apply(token=token)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    # GET only asks: mail scanners follow links, and must not unsubscribe anyone.
    return render(request, "notifications/unsubscribe.html", context)


def _preferences_save(request: HttpRequest, form: PreferencesForm) -> None:
    actions.preferences_update(
        citizen=request.user,
        opted_out=form.opted_out(),
        districts=form.cleaned_data["districts"],
        area_topics=form.cleaned_data["area_topics"],
    )
    actions.quiet_hours_set(
        citizen=request.user, start=form.cleaned_data["quiet_start"], end=form.cleaned_data["quiet_end"]
    )
    if form.cleaned_data["language"]:
        actions.preferred_language_set(citizen=request.user, language=form.cleaned_data["language"])
