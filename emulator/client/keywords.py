"""Keyword filters as query parameters, checked against the declaration before any call."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from emulator.filters import Filter, closest


def query_params(
    method: str, filters: Mapping[str, Any], *groups: Iterable[Filter]
) -> dict[str, str]:
    """Keywords (snake_case, or the API's camelCase) as query parameters; a keyword the
    groups do not declare is a TypeError naming it, so a typo never matches everything."""
    declared = [f for group in groups for f in group]
    names = {f.keyword: f.param for f in declared} | {f.param: f.param for f in declared}
    params: dict[str, str] = {}
    for name, value in filters.items():
        if name not in names:
            keywords = [f.keyword for f in declared]
            guess = closest(name, keywords)
            hint = f"; did you mean {guess!r}?" if guess else ";"
            raise TypeError(
                f"{method}() got an unknown filter {name!r}{hint} "
                f"Known: {', '.join(keywords) or 'none'}"
            )
        if value is None:
            continue
        if isinstance(value, datetime):
            params[names[name]] = value.isoformat()
        elif isinstance(value, bool):
            params[names[name]] = "true" if value else "false"
        else:
            params[names[name]] = str(value)
    return params
