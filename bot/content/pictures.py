"""Pictures for the warning-signs lesson on Telegram: SVG sources, PNGs built from them, alt texts.

NGO staff edit `content/pictures/<name>.svg`; `bot content pictures` (run by
`make catalogs`, so by `make train`, `make run` and `make test`) renders each to
`var/pictures/<name>.png`. A picture's alt text is the response
`utter_picture_<name>` in domain.yml, so it is translated like every message.

A country profile lists the pictures that fit it (`warning_pictures`); a lesson
card names the pictures that fit its text (`metadata: {pictures: [...]}`); the
card shows those of its pictures that the profile lists, in the profile's order.
SMS variants carry no pictures; no text relies on a picture.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

logger = logging.getLogger(__name__)

ALT_PREFIX = "utter_picture_"
PICTURES_KEY = "pictures"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Telegram shows photos up to 1280 px wide; 960 px keeps the drawings sharp and the files small.
PNG_WIDTH = 960


def alt_key(name: str) -> str:
    """The response whose text is picture `name`'s alt text (its Telegram caption)."""
    return f"{ALT_PREFIX}{name}"


def sources_dir(root: Path) -> Path:
    """content/pictures: the SVG files NGO staff may replace."""
    return root / "content" / "pictures"


def build_dir(root: Path) -> Path:
    """var/pictures: the PNGs rendered from the SVGs (not committed)."""
    return root / "var" / "pictures"


def card_pictures(rendered: Mapping[str, Any]) -> list[str]:
    """The picture names a rendered response's metadata asks for (none when it asks for none)."""
    metadata = rendered.get("metadata")
    names = metadata.get(PICTURES_KEY) if isinstance(metadata, dict) else None
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str)]


def shown(card: Sequence[str], profile_pictures: Sequence[str]) -> list[str]:
    """The card's pictures that the profile lists, in the profile's order."""
    return [name for name in profile_pictures if name in card]


@dataclass(frozen=True)
class Picture:
    """One picture to send: its name (the PNG's file name) and its caption in the person's language."""

    name: str
    caption: str


def pictures_of(message: Mapping[str, Any]) -> list[Picture]:
    """The pictures a reply carries, as the NLG resolved them (`metadata.pictures`)."""
    metadata = message.get("metadata")
    items = metadata.get(PICTURES_KEY) if isinstance(metadata, dict) else None
    pictures: list[Picture] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            pictures.append(Picture(item["name"], str(item.get("alt") or "")))
    return pictures


class PictureFiles:
    """The rendered PNGs, read once; Telegram's file_id remembered after the first upload."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._bytes: dict[str, bytes] = {}
        self._file_ids: dict[str, str] = {}
        self._warned: set[str] = set()

    def file_id(self, name: str) -> Optional[str]:
        """Telegram's id for a picture already uploaded by this process."""
        return self._file_ids.get(name)

    def remember(self, name: str, file_id: str) -> None:
        """Keep Telegram's id of an uploaded picture, to send it again without uploading."""
        self._file_ids[name] = file_id

    def png(self, name: str) -> Optional[bytes]:
        """The PNG's bytes, or None (logged once) when it was not built or is not a PNG."""
        if name in self._bytes:
            return self._bytes[name]
        path = self.directory / f"{Path(name).name}.png"
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        if not data.startswith(PNG_SIGNATURE):
            if name not in self._warned:
                self._warned.add(name)
                logger.warning("Picture %s missing (%s): text only; run `bot content pictures`", name, path)
            return None
        self._bytes[name] = data
        return data


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (raises ValueError when it is not a PNG)."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def render_pictures(sources: Path, output: Path, names: Optional[Iterable[str]] = None) -> list[Path]:
    """Render every `sources/*.svg` (or only `names`) to `output/<name>.png`, when the SVG is newer.

    Raises ValueError naming the file when an SVG cannot be rendered.
    """
    import cairosvg  # imported here: only the build step needs cairo

    output.mkdir(parents=True, exist_ok=True)
    wanted = set(names) if names is not None else None
    written: list[Path] = []
    for svg in sorted(sources.glob("*.svg")):
        if wanted is not None and svg.stem not in wanted:
            continue
        png = output / f"{svg.stem}.png"
        if png.exists() and png.stat().st_mtime >= svg.stat().st_mtime:
            written.append(png)
            continue
        try:
            data = cairosvg.svg2png(url=str(svg), output_width=PNG_WIDTH)
        except Exception as error:  # cairosvg raises many kinds; the file is what staff need to know
            raise ValueError(f"{svg}: cannot be drawn ({type(error).__name__}: {error})") from error
        if not data:  # svg2png returns None when it writes to a file instead
            raise ValueError(f"{svg}: cannot be drawn (no PNG produced)")
        temporary = png.with_suffix(".png.tmp")
        temporary.write_bytes(data)
        temporary.replace(png)
        written.append(png)
    return written
