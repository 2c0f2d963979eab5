"""Static files: compressed and content-hashed by WhiteNoise, their addresses looked up once per process."""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]  # WhiteNoise has no type hints
    """Every page names a handful of static files; finding each hashed name in the manifest and joining it to
    STATIC_URL took most of a millisecond a page. The manifest does not change while the process runs, so each
    address is computed once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._addresses: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return str(super().url(name, force))
        address = self._addresses.get(name)
        if address is None:
            address = self._addresses[name] = str(super().url(name))
        return address
