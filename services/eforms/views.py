from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from services.eforms.selectors import drafts_for_resident, published_forms, submissions_for_resident


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


def start(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404  # the journey lands in the next slice


def resume(request: HttpRequest, draft_id: str) -> HttpResponse:
    raise Http404


def confirmation(request: HttpRequest, submission_id: str) -> HttpResponse:
    raise Http404
