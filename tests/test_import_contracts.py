"""The import contracts (.importlinter, run by `make lint`) cover every app of the project.

import-linter checks only the packages it is told about: an app added to LOCAL_APPS but not to
the contracts would import (and be imported) unchecked. These tests keep the lists in step.
"""

import configparser
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    assert parser.read(ROOT / ".importlinter"), ".importlinter is missing"
    return parser


def listed(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def project_packages() -> set[str]:
    """Top-level packages of the project's own code (the tests' helpers and the benchmark aside)."""
    return {
        p.parent.name
        for p in ROOT.glob("*/__init__.py")
        if p.parent.name not in {"tests", "bench"} and not p.parent.name.startswith(".")
    }


def test_every_app_and_package_is_a_root_package():
    roots = set(listed(contracts()["importlinter"]["root_packages"]))
    assert set(settings.LOCAL_APPS) <= roots
    assert project_packages() <= roots, "a package of the project is not under the contracts"


def test_the_layers_name_every_app_and_the_ground_floor_forbids_them_all():
    parser = contracts()
    layers = listed(parser["importlinter:contract:layers"]["layers"])
    assert set(layers) == set(settings.LOCAL_APPS) | {"llm"}
    assert layers[-2:] == ["common", "llm"]  # the ground floor

    ground = parser["importlinter:contract:ground-floor"]
    assert set(listed(ground["source_modules"])) == {"common", "llm"}
    assert set(listed(ground["forbidden_modules"])) == set(settings.LOCAL_APPS) - {"common"}


def test_operations_may_not_import_the_apps_whose_work_it_tracks():
    from operations import registry

    tracked = {t.task.split(".")[0] for t in registry.all_types()}
    forbidden = listed(contracts()["importlinter:contract:operations-tracks-not-knows"]["forbidden_modules"])
    assert tracked == {"feedback", "interviews"}
    assert tracked <= set(forbidden)
