"""The vendor's personalisation tags, compiled once per send and rendered per recipient."""

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

import orjson

# Only these tag forms are understood; nothing between {% and %} is ever evaluated as code.
#   {%= $Contact.field %}            the contact's field, empty (and warned) when missing
#   {%= $Contact.field || 'text' %}  ... or the fallback when missing or empty
#   {% if ($Contact.field) { %} A {% } else { %} B {% } %}   (the else part is optional)
# and the same with $Current on a transactional send (see Dialect).
_TAG = re.compile(r"{%(.*?)%}", re.DOTALL)
_NAME = r"\$(Contact|Current)\.([A-Za-z_][A-Za-z0-9_]*)"
_OUTPUT = re.compile(
    rf"^=\s*{_NAME}\s*(?:\|\|\s*(?:'([^']*)'|\"([^\"]*)\")\s*)?$",
)
_IF = re.compile(rf"^\s*if\s*\(\s*{_NAME}\s*\)\s*{{\s*$")
_ELSE = re.compile(r"^\s*}\s*else\s*{\s*$")
_END = re.compile(r"^\s*}\s*$")

# How deep {% if %} blocks may nest in one string. Rendering recurses once per level, and no
# real push needs more than a few: past this a send is a 400 naming the field (check_nesting).
MAX_IF_DEPTH = 16


@dataclass(frozen=True)
class Dialect:
    """How one kind of send personalises: which namespace its values fill, which other
    namespaces it knows (and renders as missing), and what a missing key does to an
    expression (`||`, `if`)."""

    bound: str  # the namespace the render values fill
    known: frozenset[str]  # namespaces whose tags are understood at all
    # "fallback": `||` gives its fallback and `if` its else branch (SendInstantPush);
    # "source": the expression prints its own source into the text (SendTransactionalPush,
    # as the live service does [live]).
    on_missing: Literal["fallback", "source"]

    @property
    def transactional(self) -> bool:
        return self.bound == "Current"


INSTANT = Dialect("Contact", frozenset({"Contact"}), "fallback")
# CONTRACT §4: $Contact renders empty on a transactional send; only $Current resolves.
TRANSACTIONAL = Dialect("Current", frozenset({"Contact", "Current"}), "source")


@dataclass(frozen=True)
class FieldOut:
    name: str
    fallback: str | None
    namespace: str = "Contact"
    bound: bool = True  # False: a known namespace the dialect leaves empty ($Contact, §4)
    raw: str = ""  # the tag's own source, printed when a missing key makes it do so


@dataclass(frozen=True)
class IfBlock:
    name: str
    then: "list[Part]"
    otherwise: "list[Part]"
    namespace: str = "Contact"
    bound: bool = True
    raw: str = ""  # the whole block's source, from `{% if` to its `{% } %}`


Part = Union[str, FieldOut, IfBlock]  # noqa: UP007 - a forward-referencing alias

# What a missing key did: rendered empty, or printed the expression's own source.
EMPTY, SOURCE = "empty", "source"


@dataclass
class Misses:
    """Per-send tally of keys recipients lacked, by (content path, namespace, key, effect):
    one warning each."""

    counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    transactional: bool = False

    def add(self, path: str, part: "FieldOut | IfBlock", effect: str) -> None:
        self.counts[(path, part.namespace, part.name, effect)] += 1

    def warnings(self, recipients: int) -> list[str]:
        return [
            _miss_warning(path, namespace, name, effect, count, recipients, self.transactional)
            for (path, namespace, name, effect), count in sorted(self.counts.items())
        ]


def _miss_warning(
    path: str,
    namespace: str,
    name: str,
    effect: str,
    count: int,
    recipients: int,
    transactional: bool,
) -> str:
    did = "it rendered empty" if effect == EMPTY else "the expression printed its own source"
    if not transactional:
        return f"{path}: {count} of {recipients} recipient(s) have no ${namespace}.{name}; {did}"
    if namespace == "Contact":
        return (
            f"{path}: $Contact.{name}: $Contact is empty on transactional sends (only $Current "
            f"resolves); {did}"
        )
    return f"{path}: $Current.{name} is in neither current nor customParameters; {did}"


def _text(value: Any) -> str:
    """A contact value as it shows in a push: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and value != "" and value != 0


@dataclass(frozen=True)
class _Token:
    kind: str  # "text", "out", "if", "else", "end", "bad"
    raw: str
    name: str = ""
    fallback: str | None = None
    why: str = "is not a personalisation tag the emulator understands"
    namespace: str = ""


def _tag_matches(source: str) -> Iterator[re.Match[str]]:
    """Every `{% ... %}` in `source`, in one pass.

    `{%(.*?)%}` alone is quadratic: from each `{%` with no `%}` after it, the engine scans to
    the end before giving up (40 KB of "{%" held the GIL for 8.5 s). Stopping at the last
    `%}` leaves every attempt a `%}` to find, so each scan is consumed by its own match.
    """
    end = source.rfind("%}")
    return _TAG.finditer(source, 0, end + 2) if end >= 0 else iter(())


def _tokens(source: str, dialect: Dialect) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    for match in _tag_matches(source):
        if match.start() > position:
            tokens.append(_Token("text", source[position : match.start()]))
        inner, raw = match.group(1), match.group(0)
        output = _OUTPUT.match(inner.strip())
        condition = None if output else _IF.match(inner)
        named = output or condition
        if named is not None and named.group(1) not in dialect.known:
            tokens.append(_Token("bad", raw))  # another send kind's namespace
        elif output is not None:
            fallback = output.group(3) if output.group(3) is not None else output.group(4)
            tokens.append(_Token("out", raw, output.group(2), fallback, namespace=output.group(1)))
        elif condition is not None:
            tokens.append(_Token("if", raw, condition.group(2), namespace=condition.group(1)))
        elif _ELSE.match(inner):
            tokens.append(_Token("else", raw))
        elif _END.match(inner):
            tokens.append(_Token("end", raw))
        else:
            tokens.append(_Token("bad", raw))
        position = match.end()
    if position < len(source):
        tokens.append(_Token("text", source[position:]))
    return tokens


_PARTNER = {"if": "{% } %}", "else": "{% if (...) { %}", "end": "{% if (...) { %}"}


def _balance(tokens: list[_Token]) -> list[_Token]:
    """if/else/end tags that do not pair up are kept as text, like any other unknown tag."""
    stack: list[tuple[int, int | None]] = []  # (index of an open if, index of its else)
    paired: set[int] = set()
    for index, token in enumerate(tokens):
        if token.kind == "if":
            stack.append((index, None))
        elif token.kind == "else" and stack and stack[-1][1] is None:
            stack[-1] = (stack[-1][0], index)
        elif token.kind == "end" and stack:
            start, otherwise = stack.pop()
            paired.update({start, index} | ({otherwise} if otherwise is not None else set()))
    return [
        _Token("bad", t.raw, why=f"has no matching {_PARTNER[t.kind]}")
        if t.kind in _PARTNER and i not in paired
        else t
        for i, t in enumerate(tokens)
    ]


def _build(
    tokens: list[_Token], start: int, stop_kinds: set[str], dialect: Dialect
) -> tuple[list[Part], int]:
    parts: list[Part] = []
    index = start
    while index < len(tokens):
        token = tokens[index]
        if token.kind in stop_kinds:
            return parts, index
        if token.kind in {"text", "bad"}:
            if parts and isinstance(parts[-1], str):
                parts[-1] += token.raw
            else:
                parts.append(token.raw)
        elif token.kind == "out":
            bound = token.namespace == dialect.bound
            parts.append(FieldOut(token.name, token.fallback, token.namespace, bound, token.raw))
        elif token.kind == "if":
            opened = index
            then, index = _build(tokens, index + 1, {"else", "end"}, dialect)
            otherwise: list[Part] = []
            if tokens[index].kind == "else":
                otherwise, index = _build(tokens, index + 1, {"end"}, dialect)
            raw = "".join(t.raw for t in tokens[opened : index + 1])
            bound = token.namespace == dialect.bound
            parts.append(IfBlock(token.name, then, otherwise, token.namespace, bound, raw))
        index += 1
    return parts, index


@dataclass(frozen=True)
class Template:
    """One content string, parsed; `render` is all that runs per recipient."""

    path: str
    parts: tuple[Part, ...]
    constant: str | None  # set when the string holds no tag at all: the fast path
    warnings: tuple[str, ...]
    dialect: Dialect = INSTANT

    def render(self, values: Mapping[str, Any], misses: Misses) -> str:
        """`values` fill the dialect's bound namespace: the contact's fields for an instant
        send, the $Current values for a transactional one."""
        if self.constant is not None:
            return self.constant
        out: list[str] = []
        self._render(self.parts, values, misses, out)
        return "".join(out)

    def _render(
        self,
        parts: "tuple[Part, ...] | list[Part]",
        values: Mapping[str, Any],
        misses: Misses,
        out: list[str],
    ) -> None:
        prints_source = self.dialect.on_missing == "source"
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = values.get(part.name) if part.bound else None
            if isinstance(part, FieldOut):
                if value is None and (part.fallback is None or prints_source):
                    if part.fallback is not None:  # an expression, printing its source
                        out.append(part.raw)
                        misses.add(self.path, part, SOURCE)
                    else:
                        misses.add(self.path, part, EMPTY)
                elif part.fallback is not None:
                    # The vendor's `||` is JavaScript's: any empty value takes the fallback.
                    out.append(_text(value) if _truthy(value) else part.fallback)
                else:
                    out.append(_text(value))
            elif value is None and prints_source:
                out.append(part.raw)
                misses.add(self.path, part, SOURCE)
            else:
                branch = part.then if _truthy(value) else part.otherwise
                self._render(branch, values, misses, out)


def if_depth(source: str, dialect: Dialect = INSTANT) -> int:
    """How deep paired {% if %} blocks nest in `source`: what rendering it would recurse.

    Linear, and light enough to run while a send is accepted: only if and end tags count
    (an else never changes the depth; an if of a namespace the dialect does not know is
    text), paired the way _balance pairs them.
    """
    opens: list[bool] = []  # each if (True) and end (False) tag, in order
    for match in _tag_matches(source):
        inner = match.group(1)
        if (condition := _IF.match(inner)) is not None:
            if condition.group(1) in dialect.known:
                opens.append(True)
        elif _END.match(inner):
            opens.append(False)
    stack: list[int] = []
    paired = [False] * len(opens)
    for index, is_if in enumerate(opens):
        if is_if:
            stack.append(index)
        elif stack:
            paired[stack.pop()] = paired[index] = True
    depth = deepest = 0
    for index, is_if in enumerate(opens):
        if paired[index]:
            depth += 1 if is_if else -1
            deepest = max(deepest, depth)
    return deepest


def _nests_too_deep(source: str, dialect: Dialect) -> bool:
    # Too few "if"s to nest that deep: every ordinary string, without a scan.
    return source.count("if") > MAX_IF_DEPTH and if_depth(source, dialect) > MAX_IF_DEPTH


def _too_deep(path: str) -> str:
    return f"{path}: {{% if %}} blocks nest deeper than {MAX_IF_DEPTH} levels"


def check_nesting(content: Any, path: str, dialect: Dialect = INSTANT) -> list[str]:
    """One problem per string in `content` (any JSON value) whose if blocks nest too deep."""
    problems: list[str] = []

    def visit(value: Any, where: str) -> None:
        if isinstance(value, str):
            if _nests_too_deep(value, dialect):
                problems.append(_too_deep(where))
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(item, f"{where}.{key}" if where else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, f"{where}[{index}]")

    visit(content, path)
    return problems


def compile_text(source: str, path: str, dialect: Dialect = INSTANT) -> Template:
    """Parse once per send; unknown or unpaired tags stay verbatim and are warned about."""
    if "{%" not in source:
        return Template(path, (source,), source, (), dialect)
    if _nests_too_deep(source, dialect):
        # Refused at acceptance; a send stored before that rule is shown as it was written.
        warning = f"{_too_deep(path)}; it was kept verbatim"
        return Template(path, (source,), source, (warning,), dialect)
    tokens = _balance(_tokens(source, dialect))
    warnings = tuple(
        dict.fromkeys(
            f"{path}: {t.raw!r} {t.why}; it was kept verbatim" for t in tokens if t.kind == "bad"
        )
    )
    parts, _ = _build(tokens, 0, set(), dialect)
    if all(isinstance(p, str) for p in parts):
        text = "".join(p for p in parts if isinstance(p, str))
        return Template(path, tuple(parts), text, warnings, dialect)
    return Template(path, tuple(parts), None, warnings, dialect)


@dataclass(frozen=True)
class CompiledContent:
    """A content object with every string inside compiled; renders to plain JSON values."""

    shape: Any  # the content with each string replaced by its Template

    @property
    def warnings(self) -> list[str]:
        found: list[str] = []
        _collect(self.shape, lambda t: found.extend(t.warnings))
        return found

    @property
    def constant(self) -> bool:
        """True when no string holds a tag: every recipient sees the same content."""
        variable: list[Template] = []
        _collect(self.shape, lambda t: variable.append(t) if t.constant is None else None)
        return not variable

    def render(self, contact: Mapping[str, Any], misses: Misses) -> dict[str, Any]:
        rendered = _render_value(self.shape, contact, misses)
        assert isinstance(rendered, dict)
        return rendered


def _compile_value(value: Any, path: str, dialect: Dialect) -> Any:
    if isinstance(value, str):
        return compile_text(value, path, dialect)
    if isinstance(value, dict):
        return {
            k: _compile_value(v, f"{path}.{k}" if path else k, dialect) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_compile_value(v, f"{path}[{i}]", dialect) for i, v in enumerate(value)]
    return value


def _collect(shape: Any, visit: Callable[[Template], None]) -> None:
    if isinstance(shape, Template):
        visit(shape)
    elif isinstance(shape, dict):
        for value in shape.values():
            _collect(value, visit)
    elif isinstance(shape, list):
        for value in shape:
            _collect(value, visit)


def _render_value(shape: Any, contact: Mapping[str, Any], misses: Misses) -> Any:
    if isinstance(shape, Template):
        return shape.render(contact, misses)
    if isinstance(shape, dict):
        return {k: _render_value(v, contact, misses) for k, v in shape.items()}
    if isinstance(shape, list):
        return [_render_value(v, contact, misses) for v in shape]
    return shape


def compile_content(
    content: Mapping[str, Any], path: str, dialect: Dialect = INSTANT
) -> CompiledContent:
    """`path` names where the content sits in the send (content, multiLangContent.contents[1])."""
    return CompiledContent(_compile_value(dict(content), path, dialect))
