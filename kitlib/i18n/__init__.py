"""The learner's language for kitlib's own text (issue 16): messages and plot fonts.

The notebook's edition picks the language (``kitlib.setup(..., lang="ko")``, written into
the setup cell of ``notebooks/ko/`` by ``make translations``); ``$KITLIB_LANG`` overrides it
(``ko``, ``th``, ``en``, or a locale such as ``ko_KR.UTF-8``). A message without a
translation falls back to English.

Messages go through GNU gettext catalogs, domain ``kitlib``:
``kitlib/i18n/locale/<lang>/LC_MESSAGES/kitlib.po`` (edited by translators, tools such as
Poedit or Weblate read it) and the compiled ``kitlib.mo`` beside it, which is what this
module loads with the standard library's ``gettext`` (no dependency at run time; both
files are package data, so a wheel install speaks the same languages). ``make
translations`` re-extracts the messages from kitlib's sources and recompiles the ``.mo``;
tests/i18n checks that the ``.mo`` files match their ``.po`` and that no message is left
untranslated or fuzzy.

In kitlib's code::

    from kitlib.i18n import _, pgettext
    print(_("kitlib: {notebook} in {mode} mode").format(notebook=..., mode=pgettext("mode", "smoke")))

Placeholders are named (``{notebook}``), so a translation can put them in another order.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
import warnings
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kitlib"
#: The editions: English (the source), Korean, Thai.
LANGUAGES = ("en", "ko", "th")
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*(?:\.[A-Za-z0-9-]+)?(?:@\w+)?$")

_edition = "en"  # set by kitlib.setup(lang=...)


def normalize(tag) -> str | None:
    """``"ko"`` for ``"ko"``, ``"ko-KR"``, ``"ko_KR.UTF-8"``; None for anything that is not a
    language tag of a language the kit speaks."""
    if not isinstance(tag, str):
        return None
    m = _TAG.match(tag.strip())
    if not m:
        return None
    code = m.group(1).lower()
    return code if code in LANGUAGES else None


def check_language(lang) -> str:
    """*lang* as one of LANGUAGES, or ValueError naming them."""
    code = normalize(lang)
    if code is None:
        raise ValueError(f"lang={lang!r}: the kit speaks {', '.join(map(repr, LANGUAGES))} "
                         f"(English, Korean, Thai)")
    return code


def set_language(lang) -> str:
    """Make *lang* the edition's language (what ``kitlib.setup(lang=...)`` does); returns the
    language now in effect, which ``$KITLIB_LANG`` may override."""
    global _edition
    _edition = check_language(lang)
    if _edition != "en" or language() != "en":
        from kitlib.i18n import fonts
        fonts.use_fonts(language())
    return language()


def language() -> str:
    """The language kitlib speaks now: ``$KITLIB_LANG`` if set (an unknown value warns once
    and is ignored), else the edition's language given to ``setup()``, else English."""
    env = os.environ.get("KITLIB_LANG", "").strip()
    if env:
        code = normalize(env)
        if code is not None:
            return code
        _warn_unknown(env)
    return _edition


@lru_cache(maxsize=None)
def _warn_unknown(value: str) -> None:
    warnings.warn(f"KITLIB_LANG={value!r} is not a language the kit speaks "
                  f"({', '.join(LANGUAGES)}); using {_edition!r}", stacklevel=3)


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog for *lang* (English, or a missing catalog: messages as written)."""
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def gettext(message: str) -> str:
    """*message* in the learner's language (English when it has no translation)."""
    return translations(language()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """*message* in the learner's language, told apart by *context* (``pgettext("mode", "full")``)."""
    return translations(language()).pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for *n* (Korean and Thai have one form; English two)."""
    return translations(language()).ngettext(singular, plural, n)


def N_(context: str, message: str) -> str:
    """Marks *message* (with its pgettext *context*) for extraction and returns it unchanged:
    for names kept in a table and translated where they are shown."""
    return message


_ = gettext
