"""The floors: portal → services → payments → eid. Each imports only floors below it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("eid", ("services", "payments", "portal")),
        ("payments", ("services", "portal")),
        ("services", ("portal",)),
    ],
)
def test_a_floor_never_imports_a_floor_above_it(package: str, forbidden: tuple[str, ...]) -> None:
    offending = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in _imports(package)
        if module.split(".")[0] in forbidden
    ]
    assert offending == []


@pytest.mark.parametrize("package", ["services", "payments"])
def test_other_apps_import_only_eid_public_from_eid(package: str) -> None:
    offending = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in _imports(package)
        if module.split(".")[0] == "eid" and module != "eid.public"
    ]
    assert offending == []


def test_no_service_imports_stripe_or_another_services_models() -> None:
    services = ROOT / "services"
    apps = {p.parent.name for p in services.glob("*/apps.py")}
    offending = []
    for path, module in _imports("services"):
        parts = path.relative_to(services).parts
        own = parts[0] if len(parts) > 1 else None
        if module.split(".")[0] == "stripe":
            offending.append(f"{path.relative_to(ROOT)}: {module}")
        names = module.split(".")
        # A service's public.py (like eid/public.py) is what other services may import of it.
        is_public = names[2:] == ["public"]
        if (
            len(names) >= 2
            and names[0] == "services"
            and names[1] in apps
            and own
            and names[1] != own
            and not is_public
        ):
            offending.append(f"{path.relative_to(ROOT)}: {module}")
    assert offending == []
