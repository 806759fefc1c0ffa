from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from eid.public import department_list
from services.forms import CatalogueFilterForm
from services.selectors import service_catalogue


def catalogue(request: HttpRequest) -> HttpResponse:
    """Every e-service, filterable by department and category, in the page's language."""
    form = CatalogueFilterForm(request.GET or None)
    services = []
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        services = service_catalogue(department=data.get("department"), category=data.get("category"))
    departments = {department.code: department for department in department_list()}
    rows = [(service, departments.get(service.department_code)) for service in services]
    return render(request, "services/catalogue.html", {"form": form, "rows": rows}, status=status)
