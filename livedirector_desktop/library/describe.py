"""What a clip says about itself: its sidecar, the fields embedded in its container, its
file name and the folders it sits in, in that order of trust.

A sidecar is the creator's own words (and where their edits are kept), so each of its
fields wins. Then what an editor or camera embedded (a title, a comment, keywords), then
the file name's content words; the folders under the imported root are topic tags. A clip
none of these give words for "needs a description": folder names alone say where a clip
is kept, not what it shows, and the director does not show it until someone says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from livedirector_desktop.library.asset import id_from_stem, read_sidecar, sidecar_path
from livedirector_desktop.library.naming import (
    folder_tags,
    keyword_list,
    meaningful,
    name_words,
    title_from_name,
)

EmbeddedReader = Callable[[Path], dict[str, str]]


@dataclass(frozen=True)
class Description:
    id: str
    title: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    category: str = ""
    needs_description: bool = False
    embedded_fields: str = ""  # what the container said, as JSON (kept with the asset)

    def text_fields(self) -> dict:
        return {
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "category": self.category,
            "needs_description": self.needs_description,
            "embedded_fields": self.embedded_fields,
        }


def folders_between(root: Path, video: Path) -> list[str]:
    """The folder names from `root` down to the clip (none when it is not under root)."""
    try:
        return list(video.parent.relative_to(root).parts)
    except ValueError:
        return []


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def describe(video: Path, folders: list[str], read_embedded: EmbeddedReader) -> Description:
    """The clip's text; BadInputError (naming the file) for a sidecar that cannot be read."""
    sidecar = sidecar_path(video)
    own = read_sidecar(sidecar) if sidecar.exists() else {}
    stem = video.stem
    embedded = read_embedded(video)
    emb_title = meaningful(embedded.get("title", ""), stem)
    emb_prose = _unique(
        [t for t in (meaningful(embedded.get(k, "")) for k in ("description", "comment")) if t]
    )
    emb_keywords = keyword_list(embedded.get("keywords", ""))
    topics = folder_tags(folders)

    title = own.get("title") or emb_title or title_from_name(stem)
    description = own["description"] if "description" in own else ". ".join(emb_prose)
    tags = own["tags"] if "tags" in own else _unique(emb_keywords + topics)
    category = own.get("category") or (topics[0] if topics else "")
    # Tags a sidecar holds count unless they are only the folders again (the app writes
    # every field when it saves an edit, folder tags included).
    own_tags = {t.lower() for t in own.get("tags", [])} - {t.lower() for t in topics}
    has_words = bool(
        meaningful(own.get("title", ""), stem)
        or own.get("description")
        or own_tags
        or emb_title
        or emb_prose
        or emb_keywords
        or name_words(stem)
    )
    return Description(
        id=own.get("id") or id_from_stem(stem),
        title=title,
        description=description,
        tags=tags,
        category=category,
        needs_description=not has_words,
        # "{}" once read and empty; "" (clips imported before) means never read.
        embedded_fields=json.dumps(embedded, ensure_ascii=False, sort_keys=True),
    )
