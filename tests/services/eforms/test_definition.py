"""The form definition validator names the place of every problem; conditional logic drops hidden answers."""

import copy

import pytest
from django.core.exceptions import ValidationError

from services.eforms.definition import (
    prefill_scopes,
    validate_definition,
    visible_answers,
    visible_field_keys,
    visible_pages,
)


def text(en: str) -> dict:
    return {"en": en, "zh-hant": f"{en} 繁", "zh-hans": f"{en} 简"}


VALID = {
    "title": text("Apply"),
    "pages": [
        {
            "key": "about",
            "title": text("About you"),
            "fields": [
                {
                    "key": "name",
                    "type": "text",
                    "label": text("Name"),
                    "prefill": "name_en",
                    "required": True,
                },
                {
                    "key": "has_car",
                    "type": "choice",
                    "label": text("Do you have a car?"),
                    "choices": [{"value": "yes", "label": text("Yes")}, {"value": "no", "label": text("No")}],
                },
                {
                    "key": "why",
                    "type": "text",
                    "label": text("Why not?"),
                    "show_if": {"field": "has_car", "equals": "no"},
                    "max_length": 100,
                    "pattern": "^[A-Za-z ]+$",
                },
            ],
        },
        {
            "key": "car",
            "title": text("Your car"),
            "show_if": {"field": "has_car", "equals": "yes"},
            "fields": [
                {"key": "plate", "type": "text", "label": text("Plate"), "min_length": 2, "max_length": 8},
                {"key": "proof", "type": "file", "label": text("Proof"), "accept": ["pdf"], "max_size": 1000},
            ],
        },
        {
            "key": "declare",
            "title": text("Declaration"),
            "fields": [
                {"key": "age", "type": "number", "label": text("Age"), "min": 18, "max": 120},
                {"key": "ok", "type": "declaration", "label": text("I declare")},
            ],
        },
    ],
}


def errors_of(definition: object, **kwargs: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_definition(definition, **kwargs)
    return caught.value.messages


def test_a_valid_definition_passes_and_lists_its_prefill_scopes() -> None:
    assert validate_definition(VALID) is VALID
    assert prefill_scopes(VALID) == ["profile"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["pages"][0]["fields"][0].update(type="colour"), "pages[0].fields[0].type"),
        (lambda d: d["pages"][0]["fields"][0]["label"].pop("zh-hant"), "pages[0].fields[0].label"),
        (
            lambda d: d["pages"][1]["fields"][0].update(key="name"),
            "pages[1].fields[0].key: name is used twice",
        ),
        (lambda d: d["pages"][0]["fields"][2].update(pattern="(a+)+$"), "pages[0].fields[2].pattern"),
        (lambda d: d["pages"][0]["fields"][2].update(pattern="(a)\\1"), "pages[0].fields[2].pattern"),
        (lambda d: d["pages"][0]["fields"][2].update(pattern="(?=a)"), "pages[0].fields[2].pattern"),
        (lambda d: d["pages"][0]["fields"][2].update(pattern="[a-"), "pages[0].fields[2].pattern"),
        (lambda d: d["pages"][1]["show_if"].update(field="plate"), "pages[1].show_if"),
        (
            lambda d: d["pages"][1]["show_if"].update(equals="maybe"),
            "pages[1].show_if: maybe is not a choice",
        ),
        (
            lambda d: d["pages"][0]["fields"][2].update(show_if={"field": "has_car"}),
            "pages[0].fields[2].show_if",
        ),
        (lambda d: d["pages"][0]["fields"][0].update(prefill="salary"), "pages[0].fields[0].prefill"),
        (lambda d: d["pages"][2]["fields"][0].update(prefill="birthdate"), "pages[2].fields[0].prefill"),
        (lambda d: d["pages"][2]["fields"][0].update(min=200), "pages[2].fields[0]: min is greater than max"),
        (lambda d: d["pages"][1]["fields"][1].update(max_size=10**9), "pages[1].fields[1].max_size"),
        (lambda d: d["pages"][1]["fields"][1].update(accept=["exe"]), "pages[1].fields[1].accept"),
        (lambda d: d["pages"][1]["fields"][0].update(max_length="8"), "pages[1].fields[0].max_length"),
        (lambda d: d["pages"][1].update(fields=[]), "pages[1].fields"),
        (lambda d: d.update(pages=[]), "pages:"),
        (
            lambda d: d["pages"][0]["fields"][0].update(colour="red"),
            "pages[0].fields[0]: unknown setting colour",
        ),
        (lambda d: d.pop("title"), "title"),
    ],
)
def test_invalid_definitions_name_the_place(mutate: object, expected: str) -> None:
    definition = copy.deepcopy(VALID)
    mutate(definition)
    messages = errors_of(definition)
    assert any(expected in message for message in messages), messages


def test_a_draft_needs_english_only_but_publishing_needs_three_languages() -> None:
    definition = copy.deepcopy(VALID)
    definition["title"] = {"en": "Apply"}
    validate_definition(definition, complete=False)
    assert any(message.startswith("title") for message in errors_of(definition))


def test_not_an_object_is_refused() -> None:
    assert errors_of(["pages"])


def test_hidden_pages_and_fields_drop_their_answers() -> None:
    answers = {"name": "CHAN", "has_car": "no", "why": "bus", "plate": "AB123", "age": 30}
    assert [page["key"] for page in visible_pages(VALID, answers)] == ["about", "declare"]
    assert visible_answers(VALID, answers) == {"name": "CHAN", "has_car": "no", "why": "bus", "age": 30}
    answers["has_car"] = "yes"
    assert [page["key"] for page in visible_pages(VALID, answers)] == ["about", "car", "declare"]
    assert "why" not in visible_answers(VALID, answers)
    assert "why" not in visible_field_keys(VALID, answers) and "plate" in visible_field_keys(VALID, answers)


def test_a_chain_of_conditions_collapses() -> None:
    definition = copy.deepcopy(VALID)
    definition["pages"][2]["fields"][0]["show_if"] = {"field": "plate", "in": ["AB123"]}
    answers = {"has_car": "no", "plate": "AB123", "age": 30}
    # The car page is hidden, so its plate does not count, so age is hidden too.
    assert "age" not in visible_answers(definition, answers)
