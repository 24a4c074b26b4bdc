"""A proposed change checked against its base release, before anything is written: the kind
and its change class, the indicator or theme it names, and the text it would make."""

from __future__ import annotations

from dataclasses import dataclass

from indicators.adaptations import get_adaptation
from indicators.compare import FieldChange
from indicators.content import IndicatorText
from indicators.queries import (
    FrameworkInfo,
    ReleaseSummary,
    find_release,
    get_framework,
    list_themes,
    texts_in_release,
)
from indicators.versions import LATEST, parse_version
from proposals.services import (
    KINDS,
    REQUIRED_FOR_ADD,
    field_value,
    normalise_content,
    proposal_diff,
    proposed_text,
)
from web.failures import Conflict, InvalidInput, NotFound
from web.messages import Term

# The change classes each kind allows, the default first.
CHANGE_CLASSES = {"add": ("minor",), "amend": ("minor", "patch"), "retire": ("major",), "confirm": ("patch",)}
KIND_NAMES = {
    "add": Term("an addition"),
    "amend": Term("an amendment"),
    "retire": Term("a retirement"),
    "confirm": Term("a confirmation"),
}
# The fields a new indicator needs (REQUIRED_FOR_ADD), as a message lists them.
REQUIRED_NAMES = {
    "title": Term("title"),
    "statement": Term("statement"),
    "rationale": Term("rationale"),
    "evidence_level": Term("evidence level"),
}


@dataclass(frozen=True)
class ResolvedChange:
    """A proposed change checked against its base release. `content` is what a proposal stores:
    the whole text for an addition, the fields that differ from the base for an amendment."""

    framework: FrameworkInfo
    base: ReleaseSummary
    kind: str
    change_class: str
    theme_id: int
    theme_code: str
    indicator_code: str | None
    base_revision: int | None
    base_text: IndicatorText | None
    content: dict | None
    proposed: IndicatorText | None

    @property
    def diff(self) -> list[FieldChange]:
        return proposal_diff(self.kind, self.base_text, self.proposed)


async def resolve_change(
    framework_slug: str,
    kind: str,
    base_version: str,
    indicator: str | None,
    theme: str | None,
    change_class: str | None,
    content: dict | None,
) -> ResolvedChange:
    """Check a change as create_proposal and preview_change do; reads only."""
    if kind not in KINDS:
        raise InvalidInput(
            "Unknown kind of proposal %(kind)r: use one of %(kinds)s.",
            "kind",
            kind=kind,
            kinds=", ".join(KINDS),
        )
    framework, base = await _framework_and_base(framework_slug, base_version)
    allowed = CHANGE_CLASSES[kind]
    if change_class is None:
        change_class = allowed[0]
    if change_class not in allowed:
        raise _wrong_change_class(kind, allowed, change_class)
    fields = normalise_content(content)
    common = {"framework": framework, "base": base, "kind": kind, "change_class": change_class}
    if kind == "add":
        return await _resolve_addition(common, indicator, theme, fields)
    return await _resolve_existing(common, indicator, theme, fields)


def _version_text(base_version: object) -> str:
    if not isinstance(base_version, str):
        raise InvalidInput(
            "The base version must be a release number such as 1.0.0, or 'latest'.", "base_version"
        )
    return base_version.strip()


async def _framework_and_base(
    framework_slug: object, base_version: object
) -> tuple[FrameworkInfo, ReleaseSummary]:
    if not isinstance(framework_slug, str):
        raise InvalidInput("The framework must be named by its identifier.", "framework")
    version = _version_text(base_version)
    framework = await get_framework(framework_slug)
    try:
        return framework, await find_release(framework, version)
    except InvalidInput as error:
        error.field = "base_version"
        raise


async def adaptation_base(adaptation_id: int, base_version: object) -> tuple[str, str]:
    """The framework (its slug) and the release a proposal to a local adaptation is written against:
    the national release the adaptation adapts now, which `base_version` must name. 'latest' names it
    too: a network changes its adaptation of its own base, not of the framework's newest release
    (it adopts that one first). Conflict, saying which release it adapts, for any other release."""
    adaptation = await get_adaptation(adaptation_id)
    given = _version_text(base_version)
    try:
        number = given if given == LATEST else str(parse_version(given))
    except InvalidInput as error:
        error.field = "base_version"
        raise
    if number not in (LATEST, adaptation.base_version):
        raise Conflict(
            "The local adaptation %(name)r adapts release %(base)s, not %(given)s: "
            "write your proposal against release %(base)s (or 'latest').",
            name=adaptation.name,
            base=adaptation.base_version,
            given=number,
        )
    return adaptation.framework, adaptation.base_version


async def _resolve_existing(common: dict, indicator: object, theme: object, fields: dict) -> ResolvedChange:
    """An amendment or a retirement of an indicator of the base release."""
    kind, framework, base = common["kind"], common["framework"], common["base"]
    if not isinstance(indicator, str) or not indicator.strip():
        if kind == "amend":
            raise InvalidInput("An amendment needs the code of its indicator.", "indicator")
        if kind == "confirm":
            raise InvalidInput("A confirmation needs the code of its indicator.", "indicator")
        raise InvalidInput("A retirement needs the code of its indicator.", "indicator")
    if theme is not None:
        raise InvalidInput(
            "Only an addition names a theme: %(kind)s keeps the indicator in its own theme.",
            "theme",
            kind=KIND_NAMES[kind],
        )
    code = indicator.strip()
    found = await texts_in_release(base.id, [code])
    if code not in found:
        raise NotFound(
            "The indicator %(code)r is not in release %(version)s of %(slug)r.",
            code=code,
            version=base.version,
            slug=framework.slug,
        )
    number, theme_id, base_text = found[code]
    stored = _amended_fields(code, base, base_text, fields) if kind == "amend" else _no_content(kind, fields)
    themes = {t["id"]: t["code"] for t in await list_themes(framework)}
    return ResolvedChange(
        **common,
        theme_id=theme_id,
        theme_code=themes[theme_id],
        indicator_code=code,
        base_revision=number,
        base_text=base_text,
        content=stored,
        proposed=proposed_text(kind, base_text, stored),
    )


def _no_content(kind: str, fields: dict) -> None:
    if fields and kind == "confirm":
        raise InvalidInput(
            "A confirmation carries no content: it keeps the text as it is (to change it, amend it).",
            "content",
        )
    if fields:
        raise InvalidInput("A retirement carries no content: say why in the proposal's rationale.", "content")


def _amended_fields(code: str, base: ReleaseSummary, base_text: IndicatorText, fields: dict) -> dict:
    """The fields an amendment changes: those that differ from the base text (at least one)."""
    stored = {name: v for name, v in fields.items() if field_value(name, v) != getattr(base_text, name)}
    if not stored:
        raise InvalidInput(
            "This amendment changes nothing: its content is the text of %(code)s in release %(version)s.",
            "content",
            code=code,
            version=base.version,
        )
    return stored


def _wrong_change_class(kind: str, allowed: tuple[str, ...], given: str) -> InvalidInput:
    """The error for a change class that the kind of proposal does not allow."""
    values = {"kind": KIND_NAMES[kind], "given": given}
    if len(allowed) == 2:
        return InvalidInput(
            "The change class of %(kind)s is %(first)s or %(second)s, not %(given)r.",
            "change_class",
            first=allowed[0],
            second=allowed[1],
            **values,
        )
    if given == "patch":
        return InvalidInput(
            "The change class of %(kind)s is %(allowed)s, not %(given)r: "
            "only an amendment can be an editorial fix (patch).",
            "change_class",
            allowed=allowed[0],
            **values,
        )
    return InvalidInput(
        "The change class of %(kind)s is %(allowed)s, not %(given)r.",
        "change_class",
        allowed=allowed[0],
        **values,
    )


async def _resolve_addition(common: dict, indicator: object, theme: object, fields: dict) -> ResolvedChange:
    framework: FrameworkInfo = common["framework"]
    if indicator is not None:
        raise InvalidInput(
            "An addition names no indicator: its code is given when it is accepted.", "indicator"
        )
    if not isinstance(theme, str) or not theme.strip():
        raise InvalidInput(
            "An addition needs the code of the theme that will hold the new indicator.", "theme"
        )
    theme = theme.strip()
    found = [t for t in await list_themes(framework) if t["code"] == theme]
    if not found:
        raise NotFound("The framework %(slug)r has no theme %(theme)r.", slug=framework.slug, theme=theme)
    missing = [name for name in REQUIRED_FOR_ADD if name not in fields]
    if missing:
        raise InvalidInput(
            "A new indicator needs its %(names)s.",
            f"content.{missing[0]}",
            names=tuple(REQUIRED_NAMES[name] for name in missing),
        )
    return ResolvedChange(
        **common,
        theme_id=found[0]["id"],
        theme_code=theme,
        indicator_code=None,
        base_revision=None,
        base_text=None,
        content=fields,
        proposed=proposed_text("add", None, fields),
    )
