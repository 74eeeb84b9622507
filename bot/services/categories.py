"""The kinds of help survivors are referred to (IMAS 13.10 components), with stable ids."""

from __future__ import annotations

# Stable ids: they appear in CSV files, the database, analytics and button payloads.
CATEGORIES: tuple[str, ...] = (
    "emergency_medical",  # emergency medical care (first aid, ambulance, hospital)
    "continuing_medical",  # continuing medical care (surgery, follow-up)
    "rehabilitation",  # physical rehabilitation: prostheses, orthoses, wheelchairs, assistive devices
    "psychosocial",  # psychological and psychosocial support, including peer support
    "economic_inclusion",  # social and economic inclusion: livelihoods, employment
    "education",  # education, schooling, training
    "legal",  # laws and policies: rights, disability benefits, legal aid
    "social_inclusion",  # social inclusion: community life, disability associations, sport
    "bereaved_families",  # families of people killed: grief support, funerals, survivors' benefits
)


def is_category(value: str) -> bool:
    """True for one of the category ids."""
    return value in CATEGORIES


def category_response(category: str) -> str:
    """The domain response that names a category in the person's language."""
    return f"utter_category_{category}"
