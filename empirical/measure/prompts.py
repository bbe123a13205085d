"""Sections 4.2-4.3 and Appendix B: the paper's fixed prompts.

These are the paper's own sentences (not hh-rlhf), so their tokens may be
printed in tables and figures.
"""
from __future__ import annotations

from infogeo.validation import ValidationError

__all__ = [
    "CAPITALS_SENTENCE",
    "PROTOCOL_TOKENS",
    "CONTEXTS",
    "COUNTRIES",
    "embedding_sentences",
]

# Section 4.2, verbatim.
CAPITALS_SENTENCE = (
    "Is London the capital of UK? Yes. Is Moscow the capital of Russia? Yes. "
    "Is Paris the capital of France? Yes. Is Beijing the capital of China? No"
)

# Section 4.2 studies the tokens [No], [?] and [China]. The paper does not say
# which "?" it meant; we take the LAST occurrence of each token string (the
# one whose context holds the whole pattern), which for [No] and [China] is
# their only occurrence.
PROTOCOL_TOKENS = ("No", "?", "China")

# Section 4.3: two contexts and "an additional empty context".
CONTEXTS = {"king": "He is the king of", "queen": "She is the queen of", "none": ""}

# Appendix B, verbatim (the full stop is part of each name).
COUNTRIES = (
    "Australia.", "Austria.", "Brazil.", "Cuba.", "Denmark.", "Egypt.", "France.", "Germany.",
    "Hungary.", "Iceland.", "India.", "Japan.", "Norway.", "Poland.", "Spain.",
)


def embedding_sentences(contexts: tuple[str, ...] = ("king", "queen", "none")) -> list[dict]:
    """The "context + [token]" sentences of Section 4.3, in a fixed order.

    Returns one dict per sentence with ``sentence_id`` (0-based, stable),
    ``context`` (a key of :data:`CONTEXTS`), ``country`` and ``sentence``
    (``"He is the king of Australia."``; the empty context gives the country
    name alone).
    """
    unknown = [c for c in contexts if c not in CONTEXTS]
    if unknown:
        raise ValidationError(f"contexts must be keys of {sorted(CONTEXTS)}, got {unknown}")
    out = []
    for ctx in contexts:
        for country in COUNTRIES:
            text = f"{CONTEXTS[ctx]} {country}" if CONTEXTS[ctx] else country
            out.append({"sentence_id": len(out), "context": ctx, "country": country, "sentence": text})
    return out
