"""Personalisation tags: each form, its fallbacks, unknown tags kept verbatim, nothing evaluated."""

from typing import Any

import pytest

from emulator.fanout.personalise import (
    MAX_IF_DEPTH,
    TRANSACTIONAL,
    Misses,
    check_nesting,
    compile_content,
    compile_text,
    if_depth,
)

ADA = {"contactKey": "c-001", "first_name": "Ada", "city": "London"}


def render(source: str, contact: dict[str, Any], misses: Misses | None = None) -> str:
    return compile_text(source, "title").render(contact, misses or Misses())


def test_an_output_tag_writes_the_contacts_field() -> None:
    assert render("Hi {%= $Contact.first_name %}!", ADA) == "Hi Ada!"


def test_whitespace_inside_a_tag_does_not_matter() -> None:
    assert render("{%=$Contact.first_name%}/{%=   $Contact.city   %}", ADA) == "Ada/London"


def test_a_missing_field_renders_empty_and_is_counted_once_per_recipient() -> None:
    misses = Misses()
    assert render("Hi {%= $Contact.first_name %}!", {"contactKey": "c-011"}, misses) == "Hi !"
    assert render("Hi {%= $Contact.first_name %}!", {}, misses) == "Hi !"
    assert render("Hi {%= $Contact.first_name %}!", ADA, misses) == "Hi Ada!"
    assert misses.warnings(3) == [
        "title: 2 of 3 recipient(s) have no $Contact.first_name; it rendered empty"
    ]


@pytest.mark.parametrize(
    ("source", "contact", "expected"),
    [
        ("{%= $Contact.first_name || 'friend' %}", ADA, "Ada"),
        ("{%= $Contact.first_name || 'friend' %}", {}, "friend"),
        ('{%= $Contact.first_name || "friend" %}', {}, "friend"),
        ("{%= $Contact.first_name || '' %}", {}, ""),
        ("{%= $Contact.first_name || 'friend' %}", {"first_name": ""}, "friend"),
        ("{%= $Contact.first_name || 'friend' %}", {"first_name": None}, "friend"),
    ],
)
def test_the_fallback_form(source: str, contact: dict[str, Any], expected: str) -> None:
    misses = Misses()
    assert render(source, contact, misses) == expected
    assert misses.warnings(1) == []  # a fallback is the author handling the missing field


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        (ADA, "Ada, your basket"),
        ({}, "Your basket"),
        ({"first_name": ""}, "Your basket"),
        ({"first_name": None}, "Your basket"),
        ({"first_name": False}, "Your basket"),
    ],
)
def test_if_else(contact: dict[str, Any], expected: str) -> None:
    source = (
        "{% if ($Contact.first_name) { %}{%= $Contact.first_name %}, your"
        "{% } else { %}Your{% } %} basket"
    )
    misses = Misses()
    assert render(source, contact, misses) == expected
    assert misses.warnings(1) == []  # the field is only read on the branch that has it


def test_if_without_else() -> None:
    source = "Sale{% if ($Contact.city) { %} in {%= $Contact.city %}{% } %}!"
    assert render(source, ADA) == "Sale in London!"
    assert render(source, {}) == "Sale!"


def test_nested_ifs() -> None:
    source = (
        "{% if ($Contact.a) { %}{% if ($Contact.b) { %}AB{% } else { %}A{% } %}"
        "{% } else { %}none{% } %}"
    )
    assert [render(source, c) for c in ({}, {"a": 1}, {"a": 1, "b": "x"})] == ["none", "A", "AB"]


def test_values_that_are_not_strings_render_as_json() -> None:
    contact = {"points": 120, "vip": True, "ratio": 0.5}
    source = "{%= $Contact.points %} {%= $Contact.vip %} {%= $Contact.ratio %}"
    assert render(source, contact) == "120 true 0.5"


@pytest.mark.parametrize(
    "tag",
    [
        "{% alert(1) %}",
        "{%= $Contact.points + 1 %}",
        "{%= $Contact.first_name.toUpperCase() %}",
        "{% if ($Contact.a == 'x') { %}",
        "{%= $Order.total %}",
        "{%= __import__('os').system('true') %}",
    ],
)
def test_anything_else_stays_verbatim_with_a_warning(tag: str) -> None:
    template = compile_text(f"before {tag} after", "message")
    assert template.render({"a": "x", "points": 1}, Misses()) == f"before {tag} after"
    assert template.warnings == (
        f"message: {tag!r} is not a personalisation tag the emulator understands; "
        "it was kept verbatim",
    )


def test_an_if_without_its_end_stays_verbatim_with_a_warning() -> None:
    template = compile_text("{% if ($Contact.a) { %}A", "title")
    assert template.render({"a": 1}, Misses()) == "{% if ($Contact.a) { %}A"
    assert template.warnings == (
        "title: '{% if ($Contact.a) { %}' has no matching {% } %}; it was kept verbatim",
    )


def test_a_stray_else_or_end_stays_verbatim_with_a_warning() -> None:
    template = compile_text("x {% } else { %} y {% } %}", "title")
    assert template.render({}, Misses()) == "x {% } else { %} y {% } %}"
    assert len(template.warnings) == 2


def test_a_repeated_unknown_tag_is_warned_about_once() -> None:
    template = compile_text("{% x %} and {% x %}", "title")
    assert len(template.warnings) == 1


def test_text_without_tags_is_a_constant() -> None:
    assert compile_text("Plain {text} 100%", "title").constant == "Plain {text} 100%"
    assert compile_text("{% junk %}", "title").constant == "{% junk %}"
    assert compile_text("{%= $Contact.a %}", "title").constant is None


def test_content_renders_every_string_inside_it_and_names_paths_in_warnings() -> None:
    compiled = compile_content(
        {
            "title": "Hi {%= $Contact.first_name %}",
            "badgeCount": 2,
            "customParams": {"city": "{%= $Contact.city %}", "list": ["{%= $Contact.zip %}"]},
            "subTitle": "{% nope %}",
        },
        "content",
    )
    assert not compiled.constant
    assert compiled.warnings == [
        "content.subTitle: '{% nope %}' is not a personalisation tag the emulator "
        "understands; it was kept verbatim"
    ]
    misses = Misses()
    assert compiled.render(ADA, misses) == {
        "title": "Hi Ada",
        "badgeCount": 2,
        "customParams": {"city": "London", "list": [""]},
        "subTitle": "{% nope %}",
    }
    assert misses.warnings(1) == [
        "content.customParams.list[0]: 1 of 1 recipient(s) have no $Contact.zip; it rendered empty"
    ]


def nested_ifs(levels: int, inner: str = "deep") -> str:
    return "{% if ($Contact.first_name) { %}" * levels + inner + "{% } %}" * levels


@pytest.mark.parametrize(
    "source",
    [
        "{%" * 20_000,  # the probe's title: 40 KB of unclosed tags
        "{%" * 20_000 + "{%= $Contact.first_name %}",
        "%}" + "{%" * 20_000,
        "{%" * 10_000 + "%}" + "{%" * 10_000,
    ],
    ids=["unclosed", "one-closed-at-the-end", "closer-first", "closer-in-the-middle"],
)
def test_unclosed_tags_stay_verbatim_text(source: str) -> None:
    # What the linear scan must give: what the old regex scan gave (the first "{%" up to the
    # first "%}" is one unknown tag), only sooner; bench/reliability.py times it.
    assert render(source, ADA) == source


def test_nesting_is_measured_on_paired_if_blocks_only() -> None:
    assert if_depth("no tags") == 0
    assert if_depth(nested_ifs(3)) == 3
    # An if without an end is text, so it does not deepen what it precedes.
    assert if_depth("{% if ($Contact.a) { %}" * 40 + nested_ifs(2)) == 2
    assert if_depth(nested_ifs(2) + nested_ifs(5) + "{% } else { %}") == 5
    assert if_depth("{% if ($Contact.a) { %}a{% } else { %}" + nested_ifs(4) + "{% } %}") == 5


def test_ifs_nested_to_the_limit_render_and_one_more_level_is_refused() -> None:
    assert render(nested_ifs(MAX_IF_DEPTH), ADA) == "deep"
    content = {"title": "ok", "actionButtons": [{"text": nested_ifs(MAX_IF_DEPTH + 1)}]}
    assert check_nesting(content, "content") == [
        f"content.actionButtons[0].text: {{% if %}} blocks nest deeper than {MAX_IF_DEPTH} levels"
    ]
    assert check_nesting({"title": nested_ifs(MAX_IF_DEPTH)}, "content") == []


def test_a_stored_send_nested_too_deep_renders_verbatim_with_a_warning() -> None:
    # Sends accepted before the limit existed are still fanned out, never a recursion error.
    source = nested_ifs(500)
    template = compile_text(source, "content.title")
    assert template.render(ADA, Misses()) == source
    assert template.warnings == (
        f"content.title: {{% if %}} blocks nest deeper than {MAX_IF_DEPTH} levels; "
        "it was kept verbatim",
    )


# The transactional dialect: $Current fills, $Contact is empty, expressions print source ---


def transactional(source: str, current: dict[str, Any], misses: Misses | None = None) -> str:
    return compile_text(source, "title", TRANSACTIONAL).render(current, misses or Misses())


def test_current_tags_render_on_a_transactional_send() -> None:
    source = "Code {%= $Current.code %} for {%= $Current.name || 'you' %}"
    assert transactional(source, {"code": "4821", "name": "Ada"}) == "Code 4821 for Ada"
    assert transactional(source, {"code": 7, "name": ""}) == "Code 7 for you"


def test_a_missing_current_key_renders_empty_or_prints_the_expression() -> None:
    misses = Misses(transactional=True)
    source = (
        "[{%= $Current.code %}] {%= $Current.name || 'you' %} "
        "{% if ($Current.vip) { %}VIP{% } else { %}-{% } %}"
    )
    assert transactional(source, {}, misses) == (
        "[] {%= $Current.name || 'you' %} {% if ($Current.vip) { %}VIP{% } else { %}-{% } %}"
    )
    assert misses.warnings(1) == [
        "title: $Current.code is in neither current nor customParameters; it rendered empty",
        "title: $Current.name is in neither current nor customParameters; the expression "
        "printed its own source",
        "title: $Current.vip is in neither current nor customParameters; the expression "
        "printed its own source",
    ]


def test_contact_tags_are_empty_on_a_transactional_send_whatever_is_given() -> None:
    misses = Misses(transactional=True)
    assert transactional("Hi {%= $Contact.first_name %}!", {"first_name": "Ada"}, misses) == "Hi !"
    assert misses.warnings(1) == [
        "title: $Contact.first_name: $Contact is empty on transactional sends (only $Current "
        "resolves); it rendered empty"
    ]


def test_current_tags_are_not_understood_on_an_instant_send() -> None:
    template = compile_text("{%= $Current.code %}", "title")
    assert template.render({"code": "1"}, Misses()) == "{%= $Current.code %}"
    assert template.warnings[0].endswith(
        "is not a personalisation tag the emulator understands; it was kept verbatim"
    )
