"""The docs stay true: every variable the settings read is documented, and every doc link resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "config" / "settings"
CONFIGURATION = ROOT / "docs" / "configuration.md"

# env("X", ...), env.int("X", ...), os.environ.setdefault("X", ...), env.db("X") ...
READ = re.compile(
    r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|environ\.setdefault\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def variables_read() -> set[str]:
    found: set[str] = set()
    for path in SETTINGS.glob("*.py"):
        for match in READ.finditer(path.read_text()):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_variable_the_settings_read_is_documented():
    # The first cell of a table row may name several: `A`, `B`.
    rows = re.findall(r"^\| (`[A-Z][^|]*?) \|", CONFIGURATION.read_text(), flags=re.MULTILINE)
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}
    # Django's own, set by the environment rather than read by our settings.
    missing = variables_read() - documented - {"DJANGO_SETTINGS_MODULE"}
    assert variables_read(), "the pattern found nothing: the test would prove nothing"
    assert missing == set(), f"document these in docs/configuration.md: {sorted(missing)}"


def test_every_relative_link_in_the_docs_resolves():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_readme_stays_a_newcomers_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 12_000
    for command in ("make run", "make test"):
        assert command in readme
