"""kitlib speaks the edition's language: setup(lang=...), KITLIB_LANG, English fallback,
compiled catalogs in step with their sources, plots with Hangul and Thai (issue 16)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

import kitlib.i18n as I
from kitlib.i18n import fonts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import translations as T  # noqa: E402


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch):
    """Each test starts and ends in English with Matplotlib's fonts as they were."""
    import matplotlib
    monkeypatch.delenv("KITLIB_LANG", raising=False)
    family = matplotlib.rcParams["font.family"]
    I._edition = "en"
    yield
    I._edition = "en"
    matplotlib.rcParams["font.family"] = family


def test_language_follows_the_edition_and_kitlib_lang_overrides(monkeypatch):
    assert I.language() == "en" and I._("validation") == "validation"
    I.set_language("ko")
    assert I._("validation") == "검증"
    monkeypatch.setenv("KITLIB_LANG", "th_TH.UTF-8")
    assert I.language() == "th" and I._("validation") == "ชุดตรวจสอบ"
    monkeypatch.setenv("KITLIB_LANG", "en")
    assert I._("validation") == "validation"


def test_unknown_languages(monkeypatch):
    with pytest.raises(ValueError, match="'ko', 'th'"):
        I.set_language("fr")
    with pytest.raises(ValueError):
        I.check_language(None)
    monkeypatch.setenv("KITLIB_LANG", "klingon")
    with pytest.warns(UserWarning, match="KITLIB_LANG='klingon'"):
        assert I.language() == "en"
    assert I.normalize("ko-KR") == "ko" and I.normalize("th") == "th" and I.normalize("ko/../x") is None


def test_a_message_without_translation_falls_back_to_english():
    I.set_language("ko")
    assert I._("a message no catalog has") == "a message no catalog has"
    assert I.pgettext("metric", "some_custom_metric") == "some_custom_metric"


def test_setup_prints_its_line_in_the_edition_language(tmp_path, monkeypatch, capsys):
    import kitlib
    monkeypatch.setenv("KITLIB_WORK_DIR", str(tmp_path))
    kit = kitlib.setup("i18n_demo", smoke=True, seed=3, lang="ko")
    out = capsys.readouterr().out.strip()
    assert out == "kitlib: i18n_demo, 스모크(smoke) 모드, 시드 3, 연산 결정성 켬"
    assert kit.workdir == tmp_path / "i18n_demo.ko" and kit.name == "i18n_demo" and kit.edition == "ko"
    monkeypatch.setenv("KITLIB_METRICS_DIR", str(tmp_path / "m"))
    assert kit.metrics_file.name == "i18n_demo.ko.json"
    monkeypatch.setenv("KITLIB_LANG", "th")
    print(kit.summary())
    assert "โหมด smoke" in capsys.readouterr().out
    with pytest.raises(ValueError, match="lang="):
        kitlib.setup("i18n_demo", lang="kr")


def test_compiled_catalogs_match_their_sources_and_are_complete():
    for lang in T.LANGS:
        po = T._read(T.kitlib_catalog_path(lang), lang)
        assert T.kitlib_catalog_path(lang, "mo").read_bytes() == T.compile_mo(po), (
            f"kitlib/i18n/locale/{lang}/LC_MESSAGES/kitlib.mo is older than its .po: run `make translations`")
        merged = T.merge(po, T.kitlib_messages(), lang, "kitlib")
        c = T.counts(merged)
        assert c["fuzzy"] == c["untranslated"] == 0, f"kitlib {lang}: {c} (run `make translations` and translate)"
        assert {(m.context, m.id) for m in po if m.id} == {(ctx, msgid) for ctx, msgid, _, _ in T.kitlib_messages()}


def test_translations_keep_their_placeholders():
    import string
    for lang in T.LANGS:
        for m in T._read(T.kitlib_catalog_path(lang), lang):
            if m.id and "{" in m.id:
                fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
                assert fields(m.string) == fields(m.id), (lang, m.id)


def test_catalogs_are_package_data():
    import tomllib
    cfg = tomllib.loads((T.ROOT / "pyproject.toml").read_text())
    patterns = cfg["tool"]["setuptools"]["package-data"]["kitlib.i18n"]
    base = T.ROOT / "kitlib" / "i18n"
    shipped = {p for pat in patterns for p in base.glob(pat)}
    for lang in T.LANGS:
        assert T.kitlib_catalog_path(lang, "mo") in shipped and T.kitlib_catalog_path(lang) in shipped


def _render(*texts):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_title(texts[0])
    ax.set_xlabel(texts[1] if len(texts) > 1 else "")
    ax.plot([0, 1], [0, 1], label=texts[-1])
    ax.legend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


def test_default_font_lacks_hangul_and_thai():
    """The check below can fail: without the kit's fonts Matplotlib warns about missing glyphs."""
    import matplotlib
    matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
    assert any("Glyph" in w for w in _render("손실", "อีพ็อก"))


def test_hangul_and_thai_render_without_missing_glyphs():
    chain = fonts.use_fonts("ko", "th")
    assert chain[0] == "DejaVu Sans" and len(chain) == 3, (
        f"fonts for Korean and Thai are not installed ({chain}): apt-get install fonts-nanum fonts-tlwg-loma-ttf")
    missing = _render("손실 (loss) · ค่าสูญเสีย", "에포크 · อีพ็อก · ผู้ใช้ที่นี่", "검증 · ชุดตรวจสอบ")
    assert not missing, missing


@pytest.mark.parametrize("lang", T.LANGS)
def test_live_plot_speaks_the_language_with_every_glyph(lang):
    from kitlib import live
    I.set_language(lang)
    frame = live._Frame(["loss", "accuracy"], True, 2, (3.0, 2.2), 60, I._("train (batch)"))
    labels = [t.get_text() for t in frame.legend.get_texts()]
    assert labels == [I._("train (batch)"), I._("train (epoch)"), I._("validation")]
    assert labels[2] != "validation" and frame.axes["loss"].get_title() == I.pgettext("metric", "loss") != "loss"
    assert frame.axes["loss"].get_xlabel() == I._("epoch") != "epoch"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame.fig.canvas.draw()
    assert not [str(w.message) for w in caught if "missing from" in str(w.message)]


def test_ci_and_binder_install_the_fonts():
    install = next(line for line in (T.ROOT / ".ci" / "run").read_text().splitlines() if "apt-get install" in line)
    apt = (T.ROOT / "binder" / "apt.txt").read_text().split()
    for pkg in ("fonts-nanum", "fonts-tlwg-loma-ttf"):
        assert pkg in install.split() and pkg in apt, pkg
