"""A SELECT of one row and its foreign keys' rows, built once per process instead of per request.

For the few queries on the OIDC provider's hot paths (the access token behind a userinfo call, the
resident behind a code, the client of a token request) Django's ORM spends more time building and
compiling the SQL than PostgreSQL spends answering it: 1.85 ms for the userinfo query against
0.34 ms for the same SQL on a cursor (bench/README.md). `PreparedSelect` writes that SQL once from
the models' metadata, then per call runs it, applies the same database converters the ORM applies
(dates on SQLite, JSON, booleans) and builds model instances with `Model.from_db`, the related ones
cached on their foreign keys as `select_related` would. Anything else uses the ORM.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model


@dataclass(frozen=True)
class Extra:
    """An extra column: `sql` may name the aliases t0, t1… and writes identifiers as `{name}` (quoted
    for the database); `field` gives its converters (a BooleanField turns SQLite's 0/1 into
    False/True). Its value is set on the base instance as `name`."""

    name: str
    sql: str
    field: Field


@dataclass(frozen=True)
class _Part:
    model: type[Model]
    alias: str
    fields: tuple[Field, ...]
    link: Field | None  # the base model's foreign key to this part (None for the base)


Converter = Callable[[Any, Any, Any], Any]
Conversion = tuple[list[Converter], Any]  # a column's converters and the expression they are given


class PreparedSelect:
    """`SELECT … FROM base t0 LEFT JOIN related t1 … WHERE <where>` for at most one row.

    `where` uses `%s` placeholders, `{name}` for identifiers to quote, and the aliases t0 (the
    base), t1, t2… (the `related` foreign keys in order); `params` names, for each placeholder,
    the base model's field whose column it is compared with, so each value is adapted for the
    database as the ORM would (datetimes on SQLite). The caller guarantees at most one row matches
    (a unique column).
    """

    def __init__(
        self,
        model: type[Model],
        *,
        related: Sequence[str] = (),
        where: str,
        params: Sequence[str],
        extras: Sequence[Extra] = (),
    ) -> None:
        self.model = model
        self.parts = [_Part(model, "t0", tuple(model._meta.concrete_fields), None)]
        for index, name in enumerate(related, start=1):
            link = model._meta.get_field(name)
            target = link.related_model
            self.parts.append(_Part(target, f"t{index}", tuple(target._meta.concrete_fields), link))
        self.where = where
        self.param_fields = tuple(model._meta.get_field(name) for name in params)
        self.extras = tuple(extras)
        self._sql: dict[str, str] = {}
        self._converters: dict[str, list[Conversion]] = {}

    def _prepare(self, alias: str) -> tuple[str, list[Conversion]]:
        if alias not in self._sql:
            connection = connections[alias]
            quote = connection.ops.quote_name
            columns, converters = [], []
            for part in self.parts:
                for field in part.fields:
                    columns.append(f"{part.alias}.{quote(field.column)}")
                    converters.append(self._field_converters(connection, field, part.alias))
            for extra in self.extras:
                columns.append(_quoted(extra.sql, quote))
                converters.append(self._field_converters(connection, extra.field, None))
            joins = [
                f"LEFT JOIN {quote(part.model._meta.db_table)} {part.alias} "
                f"ON {part.alias}.{quote(part.model._meta.pk.column)} = t0.{quote(part.link.column)}"
                for part in self.parts[1:]
            ]
            self._converters[alias] = converters
            # Identifiers from model metadata and the callers' constant templates; values are parameters.
            self._sql[alias] = (
                f"SELECT {', '.join(columns)} FROM {quote(self.model._meta.db_table)} t0 "  # noqa: S608
                f"{' '.join(joins)} WHERE {_quoted(self.where, quote)}"
            )
        return self._sql[alias], self._converters[alias]

    @staticmethod
    def _field_converters(connection: Any, field: Field, table_alias: str | None) -> Conversion:
        column = field.get_col(table_alias or field.model._meta.db_table)
        return [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)], column

    def first(self, *values: Any) -> Model | None:
        alias = router.db_for_read(self.model)
        sql, converters = self._prepare(alias)
        connection = connections[alias]
        params = [
            field.get_db_prep_value(value, connection, prepared=False)
            for field, value in zip(self.param_fields, values, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        values = []
        for value, (field_converters, column) in zip(row, converters, strict=True):
            for convert in field_converters:
                value = convert(value, column, connection)
            values.append(value)
        position = 0
        instances = []
        for part in self.parts:
            chunk = values[position : position + len(part.fields)]
            position += len(part.fields)
            primary_key = chunk[part.fields.index(part.model._meta.pk)]
            instances.append(None if primary_key is None else part.model.from_db(alias, None, chunk))
        base = instances[0]
        for part, instance in zip(self.parts[1:], instances[1:], strict=True):
            part.link.set_cached_value(base, instance)  # as select_related leaves it
        for extra, value in zip(self.extras, values[position:], strict=True):
            setattr(base, extra.name, value)
        return base


class _Quoting(dict):
    def __init__(self, quote: Callable[[str], str]) -> None:
        super().__init__()
        self.quote = quote

    def __missing__(self, name: str) -> str:
        return self.quote(name)


def _quoted(template: str, quote: Callable[[str], str]) -> str:
    return template.format_map(_Quoting(quote))
