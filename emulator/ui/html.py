"""Building HTML safely: every captured value is escaped, and only http(s) URLs go live."""

import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit


class Html(str):
    """Markup that is already safe; everything else is escaped when it meets a template."""

    __slots__ = ()


def escape(value: object) -> Html:
    """Text as HTML: quotes too, so the result is safe inside an attribute as well."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def render(template: str, /, **values: object) -> Html:
    """`str.format` with every value escaped unless it is `Html`; templates are our own code."""
    return Html(template.format(**{name: escape(value) for name, value in values.items()}))


def join(parts: Iterable[str], separator: str = "") -> Html:
    """Parts that are not `Html` are escaped."""
    return Html(separator.join(escape(part) for part in parts))


# Browsers drop tabs and newlines inside a URL and ignore leading control characters and
# spaces, so "java\tscript:" and " javascript:" are javascript: URLs too; we refuse any URL
# that carries them rather than guess how a browser would clean it.
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def web_url(value: object) -> str | None:
    """`value` if it is an absolute http(s) URL with a host, else None (never a live link)."""
    if not isinstance(value, str) or not value or len(value) > 4096:
        return None
    if _UNSAFE_CHARACTERS.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return value


def link(url: object, text: object | None = None, css: str = "") -> Html:
    """A link that opens in a new tab if `url` is http(s); otherwise its text, inert."""
    label = escape(url if text is None else text)
    safe = web_url(url)
    if safe is None:
        return render(
            '<span class="inert-link {css}" title="not an http(s) link">{label}</span>',
            css=css,
            label=label,
        )
    return render(
        '<a class="{css}" href="{href}" target="_blank" rel="noopener noreferrer nofollow">'
        "{label}</a>",
        css=css,
        href=safe,
        label=label,
    )


def image(url: object, alt: str, css: str = "") -> Html:
    """An <img> only for http(s) media; anything else (data:, javascript:, ...) is left out."""
    safe = web_url(url)
    if safe is None:
        return Html("")
    return render(
        '<img class="{css}" src="{src}" alt="{alt}" loading="lazy" referrerpolicy="no-referrer">',
        css=css,
        src=safe,
        alt=alt,
    )
