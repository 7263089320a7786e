"""The web inbox's HTML helpers: escaping, and which URLs may become links or images."""

import pytest

from emulator.ui.html import Html, escape, image, join, link, render, web_url

XSS = "<img src=x onerror=alert(1)>"


def test_escape_turns_markup_and_quotes_into_text() -> None:
    assert escape(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    assert escape('" onmouseover="x') == "&quot; onmouseover=&quot;x"
    assert escape("it's & more") == "it&#x27;s &amp; more"
    assert escape(None) == ""
    assert escape(42) == "42"


def test_html_is_not_escaped_twice() -> None:
    safe = Html("<b>bold</b>")
    assert escape(safe) is safe
    assert render("<p>{x}</p>", x=safe) == "<p><b>bold</b></p>"


def test_render_escapes_every_value_in_text_and_attributes() -> None:
    out = render('<a title="{t}">{body}</a>', t='x" onclick="evil()', body=XSS)
    assert out == ('<a title="x&quot; onclick=&quot;evil()">&lt;img src=x onerror=alert(1)&gt;</a>')
    # Braces in a value are data, not a second round of formatting.
    assert render("{v}", v="{v}{0}") == "{v}{0}"


def test_join_escapes_plain_strings_but_keeps_html() -> None:
    assert join([Html("<i>a</i>"), "<b>"], ", ") == "<i>a</i>, &lt;b&gt;"


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com/sale?x=1&y=2",
        "http://localhost:8080/a",
        "HTTPS://EXAMPLE.COM/",
    ],
)
def test_http_and_https_urls_are_web_urls(url: str) -> None:
    assert web_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x00javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "myapp://product/42",
        "//evil.example.com/x",
        "/relative/path",
        "https://",
        "http:/\\evil.example.com",
        "https://exa mple.com/",
        "",
        None,
        42,
        "https://example.com/" + "a" * 5000,
    ],
)
def test_anything_else_is_not(url: object) -> None:
    assert web_url(url) is None


def test_a_web_url_becomes_a_link_that_opens_apart() -> None:
    out = link("https://shop.example.com/a?b=1&c=2")
    assert out == (
        '<a class="" href="https://shop.example.com/a?b=1&amp;c=2" target="_blank" '
        'rel="noopener noreferrer nofollow">https://shop.example.com/a?b=1&amp;c=2</a>'
    )


def test_a_javascript_url_is_shown_as_inert_text() -> None:
    out = link('javascript:alert("x")')
    assert "<a" not in out
    assert "href" not in out
    assert "javascript:alert(&quot;x&quot;)" in out


def test_only_web_media_becomes_an_image() -> None:
    assert image("javascript:alert(1)", "media") == ""
    assert image("data:image/png;base64,AAAA", "media") == ""
    out = image('https://cdn.example.com/a.png?"x', "media")
    assert out.startswith('<img class="" src="https://cdn.example.com/a.png?&quot;x"')
    assert 'referrerpolicy="no-referrer"' in out
