"""The inbox's search box: `title:`, `contact:`, `app:`, ... prefixes read into sends filters."""

import re
from collections.abc import Mapping

from emulator.errors import BadRequest
from emulator.push.fixtures import FixtureSet
from emulator.storage.paging import parse_time

# Prefix -> the sends API's filter (emulator/filters.py). `title:` is bare text by another
# name: the API's `q`, which matches a title or a message.
PREFIXES: dict[str, str] = {
    "title": "q",
    "contact": "contactKey",
    "token": "token",
    "app": "applicationId",
    "status": "status",
    "kind": "kind",
    "tag": "tag",
    "before": "until",
    "after": "since",
}
HELP = "Search: words, or " + " ".join(f"{p}:" for p in PREFIXES) + ' ("quotes" for spaces)'

# prefix:"quoted value" | prefix:value | "quoted words" | word
_TERM = re.compile(r'([A-Za-z]+):"([^"]*)"|([A-Za-z]+):(\S*)|"([^"]*)"|(\S+)')
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _application(value: str, fixtures: FixtureSet) -> str:
    """An application id, or the name of one (any case)."""
    if _GUID.match(value):
        return value
    for app in fixtures.applications:
        if app.name.casefold() == value.casefold():
            return app.id
    names = ", ".join(a.name for a in fixtures.applications) or "none loaded"
    raise BadRequest([f"search: app: no application is named {value!r} (known: {names})"])


def parse_search(text: str, fixtures: FixtureSet) -> dict[str, str]:
    """The sends API's filters a search asks for; a 400 names an unknown prefix, a prefix
    given twice or a bad value, so nothing typed is ever silently ignored."""
    found: dict[str, str] = {}
    words: list[str] = []
    for match in _TERM.finditer(text):
        quoted_name, quoted_value, name, value, phrase, word = match.groups()
        name, value = (quoted_name, quoted_value) if quoted_name else (name, value)
        if name is None:
            words.append(phrase if phrase is not None else word)
            continue
        prefix = name.lower()
        if prefix not in PREFIXES:
            raise BadRequest(
                [
                    f"search: unknown prefix {name + ':'!r}; use one of "
                    f"{', '.join(p + ':' for p in PREFIXES)}, or put the text in quotes"
                ]
            )
        if not value:
            raise BadRequest([f"search: {prefix}: needs a value"])
        if prefix == "title":
            words.append(value)
            continue
        param = PREFIXES[prefix]
        if param in found:
            raise BadRequest([f"search: {prefix}: given twice"])
        if prefix == "app":
            value = _application(value, fixtures)
        elif prefix in {"before", "after"}:
            parse_time(f"search: {prefix}:", value)  # named for the box, not the API
        found[param] = value
    if words:
        found["q"] = " ".join(words)
    return found


def merge(selected: Mapping[str, str], searched: Mapping[str, str]) -> dict[str, str]:
    """The inbox's select filters and its search together; one filter asked both ways is a
    400 rather than a guess at which one was meant."""
    given = {name: value for name, value in selected.items() if value}
    for name in sorted(set(given) & set(searched)):
        prefix = next(p for p, param in PREFIXES.items() if param == name and p != "title")
        raise BadRequest([f"search: {prefix}: is also chosen in the {name} filter; use one"])
    return {**given, **searched}
