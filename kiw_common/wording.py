"""German numbers and counts: "12.345", "1 Vorgang", "3 Vorgänge".

Here rather than in skills/wording.py (which re-exports them) because the prioritisation
library, beside skills/, writes counts too and must not import a skill package.
"""

from __future__ import annotations


def german_number(n: int) -> str:
    """12345 -> "12.345" (German thousands separator)."""
    return f"{n:,}".replace(",", ".")


def count_of(n: int, singular: str, plural: str) -> str:
    """ "1 Vorgang", "3 Vorgänge", "1.200 Vorgänge". German uses the singular only for one."""
    return f"{german_number(n)} {singular if n == 1 else plural}"
