"""The registry of e-services. Each service registers itself from its app's ready()."""

import re
from collections.abc import Callable, Iterator

from services.base import ServiceApp

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,48}$")


class Registry:
    """Tests build their own Registry() rather than touching the global one."""

    def __init__(self) -> None:
        self._services: dict[str, ServiceApp] = {}

    def __call__(self, slug: str) -> Callable[[type[ServiceApp]], type[ServiceApp]]:
        def decorator(service_class: type[ServiceApp]) -> type[ServiceApp]:
            if not SLUG_PATTERN.match(slug):
                raise ValueError(f"Service slug {slug!r} must be lower-case letters, digits and dashes.")
            if slug in self._services:
                raise ValueError(f"A service is already registered as {slug!r}.")
            self._services[slug] = service_class(slug=slug)
            return service_class

        return decorator

    def get(self, slug: str) -> ServiceApp | None:
        return self._services.get(slug)

    def __iter__(self) -> Iterator[ServiceApp]:
        return iter(sorted(self._services.values(), key=lambda service: service.slug))

    def __len__(self) -> int:
        return len(self._services)

    def __contains__(self, slug: object) -> bool:
        return slug in self._services


register = Registry()
