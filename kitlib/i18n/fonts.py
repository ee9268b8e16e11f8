"""Fonts for Hangul and Thai in Matplotlib figures (issue 16).

Matplotlib's default font, DejaVu Sans, has neither script: a Korean or Thai label is drawn
as empty boxes, with a warning "Glyph … missing from font(s) DejaVu Sans". Since
Matplotlib 3.6 a list of families falls back glyph by glyph, so DejaVu Sans stays first
(Latin text, digits and tick labels look as in the English edition) and a font with the
script follows. The kit installs small Debian fonts (.ci/run, binder/apt.txt):
``fonts-nanum`` (NanumGothic) for Korean and ``fonts-tlwg-loma-ttf`` (Loma) for Thai; the
Noto fonts are used where they are installed instead.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

#: Families tried for each script, best first, and the file names they come in.
FAMILIES = {
    "ko": [("NanumGothic", "NanumGothic.ttf"), ("Noto Sans CJK KR", "NotoSansCJK-Regular.ttc"),
           ("Noto Sans KR", "NotoSansKR-Regular.ttf"), ("UnDotum", "UnDotum.ttf")],
    "th": [("Loma", "Loma.ttf"), ("Noto Sans Thai", "NotoSansThai-Regular.ttf"),
           ("Garuda", "Garuda.ttf"), ("Norasi", "Norasi.ttf")],
}
#: Where to look for those files when Matplotlib's font cache predates their install.
FONT_DIRS = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts",
             Path.home() / ".fonts"]
PACKAGES = {"ko": "fonts-nanum (or fonts-noto-cjk)", "th": "fonts-tlwg-loma-ttf (or fonts-noto-core)"}
BASE = "DejaVu Sans"


def _known_families() -> set[str]:
    from matplotlib import font_manager
    return {f.name for f in font_manager.fontManager.ttflist}


def _register(filename: str) -> bool:
    """Add a font file found under FONT_DIRS to Matplotlib's font list (its cache is built
    once, so a font installed later is unknown to it until then)."""
    from matplotlib import font_manager
    for folder in FONT_DIRS:
        if not folder.is_dir():
            continue
        for path in folder.rglob(filename):
            try:
                font_manager.fontManager.addfont(str(path))
                return True
            except (OSError, RuntimeError, ValueError):
                continue
    return False


@lru_cache(maxsize=None)
def family_for(lang: str) -> str | None:
    """The installed family the kit uses for *lang*'s script, or None."""
    if lang not in FAMILIES:
        return None
    known = _known_families()
    for family, filename in FAMILIES[lang]:
        if family in known:
            return family
    for family, filename in FAMILIES[lang]:
        if _register(filename) and family in _known_families():
            return family
    return None


def use_fonts(*langs: str) -> list[str]:
    """Make Matplotlib draw the scripts of *langs* (``"ko"``, ``"th"``; ``"en"`` needs nothing):
    ``font.family`` becomes DejaVu Sans followed by a font for each script. Returns that
    list. A script without an installed font warns, naming the Debian package."""
    import matplotlib

    chain = [BASE]
    for lang in langs:
        if lang not in FAMILIES:
            continue
        family = family_for(lang)
        if family is None:
            warnings.warn(f"no font for {lang!r} text is installed: figures will show boxes; "
                          f"install {PACKAGES[lang]}", stacklevel=2)
        elif family not in chain:
            chain.append(family)
    if len(chain) > 1:
        matplotlib.rcParams["font.family"] = chain
    return chain
