"""What a release carries: one version, the license in the metadata.

The installed distribution's metadata (what pip and PyPI read) must name
the version the package reports and the license the repository ships.
"""
import importlib.metadata
import re
from pathlib import Path

import poincare_q64

ROOT = Path(__file__).resolve().parent.parent


def test_installed_metadata_version_is_the_package_version():
    assert importlib.metadata.version("poincare_q64") == poincare_q64.__version__


def test_version_is_a_release_number():
    # PEP 440 final or pre-release: N.N.N, optionally aN / bN / rcN / .devN
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?",
                        poincare_q64.__version__)


def test_metadata_license_is_apache_2():
    meta = importlib.metadata.metadata("poincare_q64")
    assert meta["License-Expression"] == "Apache-2.0"
    assert "LICENSE" in meta.get_all("License-File")


def test_license_file_is_the_apache_2_text():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_changelog_has_a_section_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(poincare_q64.__version__)}\]",
                     text, re.M), "CHANGELOG.md has no section for this version"


def test_api_reference_documents_every_public_name():
    """docs/api.rst names each entry of poincare_q64.__all__ in an autodoc
    directive (modules by automodule), so the site cannot miss one."""
    text = (ROOT / "docs" / "api.rst").read_text()
    documented = set(re.findall(
        r"^\.\. (?:autofunction|autoclass|autoexception|automodule|data)::"
        r" (?:poincare_q64\.)?(\S+)$", text, re.M))
    missing = [name for name in poincare_q64.__all__ if name not in documented]
    assert not missing, f"not in docs/api.rst: {missing}"


def test_docs_table_of_contents_takes_every_page():
    """docs/index.md's toctree is a glob: a page added to docs/ is listed."""
    text = (ROOT / "docs" / "index.md").read_text()
    toctree = re.search(r"```\{toctree\}\n(.*?)```", text, re.S)
    assert toctree and ":glob:" in toctree.group(1)
    assert re.search(r"^\*$", toctree.group(1), re.M)
