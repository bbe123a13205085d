"""The report's sections, discovered as the claims are: a module of this package registers its section.

A section is one module here whose ``build(ctx) -> list of blocks`` carries the :func:`section` decorator, which
names it, titles it and places it (``order``: sections appear by increasing order and are numbered by position, so
a new section between two others takes an order between theirs). :func:`discover` imports every module of the
package (those starting with ``_`` are helpers) and returns the sections in order::

    @section("theory", "The paper's claims, checked", order=10)
    def build(ctx):
        ...

Nothing else is edited to add a section: the build, ``--only``'s choices, the manifest and the summary's links
read :func:`discover`.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from infogeo.validation import ValidationError


@dataclass(frozen=True)
class Section:
    """A registered section: its ``name`` (``--only NAME``, the state file), ``title`` (without its number),
    ``order`` and ``build`` (ctx -> blocks), and the ``module`` that defines it."""
    name: str
    title: str
    order: float
    build: Callable
    module: str
    appendix: bool = False


_REGISTRY: dict[str, Section] = {}


def section(name: str, title: str, *, order: float, appendix: bool = False) -> Callable:
    """Register the decorated ``build(ctx)`` as the section ``name`` (a second registration of a name from another
    module is refused: two sections would share a state file). ``appendix``: titled "Appendix: <title>" and not
    numbered; appendices must come after every numbered section."""
    def register(fn: Callable) -> Callable:
        old = _REGISTRY.get(name)
        if old is not None and old.module != fn.__module__:
            raise ValidationError(f"report section {name!r} is registered twice ({old.module} and {fn.__module__})")
        _REGISTRY[name] = Section(name, title, float(order), fn, fn.__module__, bool(appendix))
        return fn
    return register


def discover() -> dict[str, Section]:
    """Every section of this package, by increasing ``order`` (name -> :class:`Section`)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    ordered = sorted(_REGISTRY.values(), key=lambda s: (s.order, s.name))
    orders = [s.order for s in ordered]
    if len(set(orders)) != len(orders):
        raise ValidationError(f"two report sections share an order: {[(s.name, s.order) for s in ordered]}")
    flags = [s.appendix for s in ordered]
    if flags != sorted(flags):
        raise ValidationError(f"an appendix comes before a numbered section: {[(s.name, s.order) for s in ordered]}")
    return {s.name: s for s in ordered}


def numbered_titles() -> dict[str, str]:
    """name -> the section's heading, numbered by its position ("1. The paper's claims, checked"); an appendix is
    "Appendix: <title>"."""
    return {name: f"Appendix: {s.title}" if s.appendix else f"{i}. {s.title}"
            for i, (name, s) in enumerate(discover().items(), start=1)}
