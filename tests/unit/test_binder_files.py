"""binder/: the repo2docker files stay in step with the kit and do what Binder needs."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements() -> dict[str, str]:
    out = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(==|>=)\s*([\w.]+)$", line)
            assert m, f"binder/requirements.txt: pin every line (name==version), got {line!r}"
            out[_name(m.group(1))] = m.group(2) + m.group(3)
    return out


def test_every_runtime_dependency_is_in_binder_requirements():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    linux_x86 = {_name(d) for d in deps if "platform_machine != 'x86_64'" not in d}
    missing = linux_x86 - set(_requirements())
    assert not missing, f"binder/requirements.txt lacks {sorted(missing)}"


def test_binder_provides_the_build_requirements_postbuild_needs():
    """postBuild installs the kit with --no-build-isolation, so the image's own setuptools builds
    it: binder/requirements.txt must ask for at least the version pyproject.toml requires."""
    assert "--no-build-isolation" in (BINDER / "postBuild").read_text()
    reqs = _requirements()
    for req in tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]:
        name = _name(req)
        assert name in reqs, f"binder/requirements.txt lacks the build requirement {req!r}"
        want = re.search(r">=\s*([\w.]+)", req)
        if want:
            have = reqs[name].lstrip("=>")
            as_tuple = lambda v: tuple(int(p) for p in re.findall(r"\d+", v)[:3])  # noqa: E731
            assert as_tuple(have) >= as_tuple(want.group(1)), f"binder asks {name}{reqs[name]}, pyproject {req}"


def test_binder_pins_are_the_versions_the_tests_run_with():
    for name, spec in _requirements().items():
        if spec.startswith("=="):
            assert metadata.version(name) == spec[2:], (
                f"binder pins {name}{spec} but the tested environment has {metadata.version(name)}")


def test_postbuild_stops_on_error_and_provides_the_data():
    post = BINDER / "postBuild"
    text = post.read_text()
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    assert re.search(r"^set -e", text, re.M), "postBuild must stop at the first error (set -e)"
    assert "pip install --no-deps" in text and "-e ." in text
    assert "kitlib data --install --require mnist" in text


def test_apt_installs_graphviz_for_plot_model():
    assert "graphviz" in (BINDER / "apt.txt").read_text().split()


def test_start_routes_tensorboard_through_the_server_proxy():
    text = (BINDER / "start").read_text()
    assert 'TENSORBOARD_PROXY_URL="${JUPYTERHUB_SERVICE_PREFIX:-/}proxy/%PORT%/"' in text
    assert text.rstrip().endswith('exec "$@"')
    assert "jupyter-server-proxy" in _requirements()
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
