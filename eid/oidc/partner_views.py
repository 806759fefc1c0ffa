"""Partner onboarding pages (for partner members) and the administrators' production-access queue."""

from uuid import UUID

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eid.oidc import onboarding
from eid.oidc.models import PartnerApplication
from eid.oidc.partner_forms import ApplicationForm, ApproveForm, MemberForm, OrganisationForm, RejectForm
from eid.oidc.registration import Registration
from eid.public import SCOPE_DESCRIPTIONS, ApplicationError

# The sandbox secret travels from the registration POST to the next page once, in the session.
NEW_CREDENTIALS_KEY = "eid_oidc_new_credentials"


@login_required
def partner_home(request: HttpRequest) -> HttpResponse:
    organisations = onboarding.organisations_of(user=request.user)
    return render(request, "idp/partners/home.html", {"organisations": organisations})


@login_required
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                organisation = onboarding.organisation_register(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    business_registration_number=form.cleaned_data.get("business_registration_number", ""),
                    contact_email=form.cleaned_data["contact_email"],
                    department=form.cleaned_data.get("department"),
                    request=request,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your organisation is registered. Now register an application."))
                return redirect("eid_partners:organisation", organisation.public_id)
        status = 400
    return render(request, "idp/partners/organisation_new.html", {"form": form}, status=status)


@login_required
def organisation_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The organisation's applications and members; a POST adds a member."""
    organisation = onboarding.access_organisation_by_member(user=request.user, public_id=public_id)
    form = MemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                onboarding.member_add(
                    organisation=organisation,
                    by=request.user,
                    email=form.cleaned_data["email"],
                    request=request,
                )
            except ApplicationError as error:
                form.add_error("email", error.message)
            else:
                messages.success(request, _("The member was added."))
                return redirect("eid_partners:organisation", organisation.public_id)
        status = 400
    members = organisation.members.select_related("user").order_by("created_at")
    context = {"organisation": organisation, "members": members, "member_form": form}
    return render(request, "idp/partners/organisation.html", context, status=status)


@login_required
@require_POST
def member_remove(request: HttpRequest, public_id: UUID, membership_id: int) -> HttpResponse:
    organisation = onboarding.access_organisation_by_member(user=request.user, public_id=public_id)
    try:
        onboarding.member_remove(
            organisation=organisation, by=request.user, membership_id=membership_id, request=request
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("eid_partners:organisation", organisation.public_id)
    messages.success(request, _("The member was removed."))
    if not organisation.members.filter(user=request.user).exists():
        return redirect("eid_partners:home")
    return redirect("eid_partners:organisation", organisation.public_id)


@login_required
def application_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    organisation = onboarding.access_organisation_by_member(user=request.user, public_id=public_id)
    form = ApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                application, credentials = onboarding.application_register(
                    organisation=organisation,
                    by=request.user,
                    name=data["name"],
                    purpose_en=data["purpose_en"],
                    purpose_zh_hant=data["purpose_zh_hant"],
                    purpose_zh_hans=data["purpose_zh_hans"],
                    registration=data["registration"],
                    request=request,
                )
            except ValidationError as error:  # a rule of client registration the form did not know
                form.add_error(None, error.messages)
                return render(
                    request,
                    "idp/partners/application_new.html",
                    {"organisation": organisation, "form": form},
                    status=400,
                )
            request.session[NEW_CREDENTIALS_KEY] = {
                "application": str(application.public_id),
                "client_id": credentials.client_id,
                "secret": credentials.secret,
            }
            return redirect("eid_partners:application", application.public_id)
        status = 400
    context = {"organisation": organisation, "form": form}
    return render(request, "idp/partners/application_new.html", context, status=status)


@never_cache
@login_required
def application_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    application = onboarding.access_application_by_member(user=request.user, public_id=public_id)
    new = request.session.get(NEW_CREDENTIALS_KEY)
    if new and new.get("application") == str(application.public_id):
        del request.session[NEW_CREDENTIALS_KEY]  # shown this once
    else:
        new = None
    return render(request, "idp/partners/application.html", _application_context(application, new=new))


def _application_context(application: PartnerApplication, **extra: object) -> dict:
    registration = Registration.from_dict(application.registration)
    return {
        "application": application,
        "registration": registration,
        "scope_labels": [SCOPE_DESCRIPTIONS.get(scope, scope) for scope in registration.scopes],
        **extra,
    }


@login_required
@require_POST
def application_request_production(request: HttpRequest, public_id: UUID) -> HttpResponse:
    application = onboarding.access_application_by_member(user=request.user, public_id=public_id)
    try:
        onboarding.application_request_production(application=application, by=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your request was sent. A portal administrator will review it."))
    return redirect("eid_partners:application", application.public_id)


@never_cache
@login_required
@require_POST
@reauthentication_required  # a production secret needs the password (or a second factor) just confirmed
def production_credentials(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Answers the POST itself (no redirect): the secret is in this response and nowhere else.
    Without a recent re-authentication allauth keeps the POST, asks, then answers it."""
    application = onboarding.access_application_by_member(user=request.user, public_id=public_id)
    try:
        credentials = onboarding.production_credentials_issue(
            application=application, by=request.user, request=request
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("eid_partners:application", application.public_id)
    application.refresh_from_db()
    context = _application_context(application, production=credentials)
    return render(request, "idp/partners/application.html", context)


# Back office: portal administrators ------------------------------------------------------------------


def _reviewer_or_404(request: HttpRequest) -> None:
    if not request.user.has_perm(onboarding.REVIEW_PERMISSION):
        raise Http404


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _reviewer_or_404(request)
    status = request.GET.get("status", PartnerApplication.Status.PENDING)
    if status not in PartnerApplication.Status.values:
        status = PartnerApplication.Status.PENDING
    context = {
        "queue": onboarding.review_queue(status=status),
        "status": status,
        "statuses": PartnerApplication.Status.choices,
    }
    return render(request, "idp/partners/review_queue.html", context)


@login_required
def review_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    application = onboarding.access_application_for_reviewer(user=request.user, public_id=public_id)
    action = request.POST.get("action") if request.method == "POST" else None
    approve_form = ApproveForm(request.POST if action == "approve" else None)
    reject_form = RejectForm(request.POST if action == "reject" else None)
    status = 200
    if action in ("approve", "reject"):
        form = approve_form if action == "approve" else reject_form
        if form.is_valid():
            try:
                if action == "approve":
                    onboarding.application_approve(
                        application=application,
                        by=request.user,
                        hkid_legal_basis=form.cleaned_data["hkid_legal_basis"],
                        request=request,
                    )
                    messages.success(request, _("Approved. The organisation has been told."))
                else:
                    onboarding.application_reject(
                        application=application,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                        request=request,
                    )
                    messages.success(request, _("Refused. The organisation has been told why."))
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                return redirect("eid_partners_backoffice:queue")
        status = 400
    elif request.method == "POST":
        status = 400
    context = _application_context(application, approve_form=approve_form, reject_form=reject_form)
    return render(request, "idp/partners/review_detail.html", context, status=status)
