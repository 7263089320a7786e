"""How each platform shows a collapsed notification: lines, characters, images, expanding.

The one home of these numbers: the previews' line clamps (`platform_css`, served as a
stylesheet), the "would be cut" notes on a send and the docs all read them from here.
docs/PLATFORMS.md gives the source of each, and how sure we are of it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

# Where an image goes: not at all, a thumbnail beside the text, or a large picture.
ImageShown = Literal["none", "thumbnail", "large"]


@dataclass(frozen=True)
class Profile:
    key: str  # the CSS class suffix and the test's handle: p-<key>
    name: str  # as a person says it: "Chrome on macOS"
    title_lines: int  # lines of title a collapsed notification shows
    message_lines: int
    title_chars: int  # about how many characters those lines hold
    message_chars: int
    image: ImageShown  # collapsed
    expandable: bool  # the platform has an "expanded" view (the preview then has a toggle)
    expanded_title_lines: int = 0  # 0: every line
    expanded_message_lines: int = 0
    expanded_image: ImageShown = "large"


ANDROID = Profile(
    "android", "Android", 1, 1, 40, 45, "thumbnail", True, expanded_title_lines=2,
    expanded_message_lines=8,
)  # fmt: skip
IOS = Profile("ios", "iOS lock screen", 1, 4, 40, 178, "thumbnail", True)
CHROME_WINDOWS = Profile("chrome-windows", "Chrome on Windows", 2, 3, 69, 139, "large", False)
CHROME_MACOS = Profile(
    "chrome-macos", "Chrome on macOS", 1, 2, 43, 88, "none", True, expanded_image="none"
)
CHROME_LINUX = Profile(
    "chrome-linux", "Chrome on Linux", 1, 2, 45, 90, "large", True, expanded_title_lines=2
)
FIREFOX = Profile("firefox", "Firefox", 1, 3, 50, 140, "none", False, expanded_image="none")
SAFARI = Profile("safari", "Safari", 1, 3, 40, 103, "none", True, expanded_image="none")

PROFILES: tuple[Profile, ...] = (
    ANDROID,
    IOS,
    CHROME_WINDOWS,
    CHROME_MACOS,
    CHROME_LINUX,
    FIREFOX,
    SAFARI,
)
# A desktop Chromium browser names no operating system, so its preview offers all three.
CHROMIUM_DESKTOP: tuple[Profile, ...] = (CHROME_WINDOWS, CHROME_MACOS, CHROME_LINUX)
CHROMIUM = {"chrome", "chromium", "edge", "opera", "brave", "vivaldi", "samsung internet"}
# A web push on a phone or tablet is drawn by the phone's own notification shade.
_HANDHELD = ("mobile", "phone", "tablet", "android")


def profiles_for(delivery: Mapping[str, Any]) -> tuple[Profile, ...]:
    """The ways this delivery's device could show it; more than one for desktop Chromium."""
    platform = str(delivery.get("platform") or "").lower()
    if platform == "ios":
        return (IOS,)
    if platform != "web":
        return (ANDROID,)  # Android, and the fallback for a platform we do not know
    device = str(delivery.get("deviceType") or "").lower()
    if any(word in device for word in _HANDHELD):
        return (ANDROID,)
    browser = str(delivery.get("browser") or "").lower()
    if browser == "firefox":
        return (FIREFOX,)
    if browser == "safari":
        return (SAFARI,)
    return CHROMIUM_DESKTOP


@dataclass(frozen=True)
class Cut:
    """A text longer than some targeted platforms show collapsed."""

    field: str  # "title" or "message"
    length: int  # the longest its devices got (personalised texts differ)
    profiles: tuple[Profile, ...]  # those that cut it, in PROFILES order

    def shown(self, profile: Profile) -> int:
        return profile.title_chars if self.field == "title" else profile.message_chars

    def __str__(self) -> str:
        first, *rest = self.profiles
        shown = [f"{first.name} shows about {self.shown(first)}"]
        shown += [f"{p.name} about {self.shown(p)}" for p in rest]
        return f"{self.field}: {self.length} characters; {', '.join(shown)}"


def cuts(deliveries: Iterable[Mapping[str, Any]]) -> list[Cut]:
    """Per field, where the longest text a targeted platform's devices got is longer than it
    shows collapsed: one line per field and length (title first)."""
    longest: dict[tuple[str, str], int] = {}
    for delivery in deliveries:
        for profile in profiles_for(delivery):
            for field in ("title", "message"):
                length = len(str(delivery.get(field) or ""))
                key = (profile.key, field)
                longest[key] = max(longest.get(key, 0), length)
    grouped: dict[tuple[str, int], list[Profile]] = {}
    for field in ("title", "message"):
        for profile in PROFILES:
            length = longest.get((profile.key, field), 0)
            shown = profile.title_chars if field == "title" else profile.message_chars
            if length > shown:
                grouped.setdefault((field, length), []).append(profile)
    return [Cut(field, length, tuple(found)) for (field, length), found in grouped.items()]


def _clamp(selector: str, lines: int) -> str:
    if lines == 0:
        return f"{selector} {{ -webkit-line-clamp: unset; line-clamp: none; }}"
    return f"{selector} {{ -webkit-line-clamp: {lines}; line-clamp: {lines}; }}"


def platform_css() -> str:
    """The previews' per-platform clamps and images, from the numbers above."""
    rules = ["/* Generated from emulator/ui/platforms.py: how each platform clamps a preview. */"]
    images = {"none": (), "thumbnail": (".n-thumb",), "large": (".n-image",)}
    for p in PROFILES:
        base = f".p-{p.key}"
        rules.append(_clamp(f"{base} .n-title", p.title_lines))
        rules.append(_clamp(f"{base} .n-message", p.message_lines))
        rules.append(_clamp(f"{base}.expanded .n-title", p.expanded_title_lines))
        rules.append(_clamp(f"{base}.expanded .n-message", p.expanded_message_lines))
        for state, shown in (("", p.image), (".expanded", p.expanded_image)):
            for kind in (".n-thumb", ".n-image"):
                display = "block" if kind in images[shown] else "none"
                rules.append(f"{base}{state} {kind} {{ display: {display}; }}")
    return "\n".join(rules) + "\n"
