"""One spelling per user (SECURITY.md IA-1, IA-4): the key a typed log-in name is compared by.

Databases fold case differently — PostgreSQL's UPPER() turns the dotless ı into I, Python's lower() does not — so
a name compared with `iexact` and counted with `lower()` was two names to the lockout and one to the log-in. The
key is NFKC (full-width ｘ is x), then casefold (upper case is lower case), with the Turkish i's folded to i the
way PostgreSQL's UPPER() does, then NFKC again; log-in, lockout and uniqueness all use it, on every database.
"""

from __future__ import annotations

import unicodedata

TURKISH_I = str.maketrans({"ı": "i"})  # dotless ı; the dotted İ casefolds to i + U+0307, removed below


def username_key(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).strip().casefold().translate(TURKISH_I).replace("i\u0307", "i")
    return unicodedata.normalize("NFKC", folded)
