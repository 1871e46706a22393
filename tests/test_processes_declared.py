"""The processes are declared once, in the Procfile: what `make run` (honcho), docker compose, the
image's default command and the docs' tables run are its lines, word for word. Only the
environment differs (README.md, "Processes")."""

import json
import re
import shlex
from pathlib import Path

import yaml
from honcho.environ import parse_procfile

ROOT = Path(__file__).resolve().parent.parent
# Services of the app image that are not long-running processes of the service.
ONE_SHOT = {"migrate": "python manage.py migrate"}


def procfile() -> dict[str, list[str]]:
    """The Procfile as honcho reads it: name -> argv."""
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    return {name: shlex.split(command) for name, command in processes.items()}


def argv(command: str | list[str]) -> list[str]:
    """A compose `command:` as argv: compose splits a string the way a shell would, without one."""
    return shlex.split(command) if isinstance(command, str) else list(command)


def compose_app_services() -> dict[str, dict]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {name: service for name, service in services.items() if "build" in service}


def table_commands(markdown: str, header: str) -> dict[str, list[str]]:
    """The rows of the table under `header`: first cell -> the second cell's first `code`."""
    lines = markdown[markdown.index(header) :].splitlines()[2:]  # skip the header and |---|
    rows = {}
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        code = re.search(r"`([^`]+)`", cells[1])
        rows[cells[0]] = shlex.split(code.group(1)) if code else []
    return rows


def test_the_procfile_declares_the_services_processes():
    assert set(procfile()) == {"web", "worker", "beat", "flower"}
    assert procfile()["web"][:2] == ["uvicorn", "config.asgi:application"]


def test_compose_runs_the_procfiles_commands():
    services = compose_app_services()
    assert set(services) - set(ONE_SHOT) == set(procfile()), "one compose service per Procfile line"
    for name, command in procfile().items():
        assert argv(services[name]["command"]) == command, f"compose's {name} is not the Procfile's"
    for name, command in ONE_SHOT.items():
        assert argv(services[name]["command"]) == shlex.split(command)


def test_the_image_listens_on_every_interface_where_the_procfile_does_not_say():
    # The Procfile's web takes uvicorn's default address (127.0.0.1): right for `make run`, which
    # sets it from HOST, unreachable through a container's published port.
    assert not {"--host", "--port", "--workers"} & set(procfile()["web"])
    assert compose_app_services()["web"]["environment"]["UVICORN_HOST"] == "0.0.0.0"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^\s*UVICORN_HOST=0\.0\.0\.0\s*$", dockerfile, flags=re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    assert json.loads(cmd.group(1)) == procfile()["web"], "the image's default command is the Procfile's web"


def test_make_run_starts_procfile_processes():
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    honcho = next(line for line in recipe.group(1).splitlines() if "honcho start" in line)
    words = shlex.split(honcho.split("honcho start", 1)[1])
    names, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in {"-f", "--procfile", "-e", "--env", "-p", "--port", "-d", "--app-root"}:
            skip = True
        elif not word.startswith("-"):
            names.append(word)
    assert "-f Procfile" in honcho
    assert names == ["web", "worker", "beat"]


def test_the_readmes_table_is_the_procfile():
    readme = (ROOT / "README.md").read_text()
    assert table_commands(readme, "| process | command |") == procfile()


def test_the_compose_table_in_the_docs_is_the_procfile():
    rows = table_commands((ROOT / "docs" / "configuration.md").read_text(), "| service | command |")
    for name, command in procfile().items():
        row = next(cells for service, cells in rows.items() if service.split()[0] == name)
        assert row == command, f"docs/configuration.md's {name}"
