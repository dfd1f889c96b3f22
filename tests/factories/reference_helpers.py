"""The reference files, an admin's edits and the two commands, for the tests of
`load_reference_data` (every start) and `refresh_reference_data` (an operator's refresh)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import Client

from applications.models import AccessMode, Cutoff
from applications.reference import DEFAULT_ACCESS_MODES_PATH
from factories.models import AIFactory, Antenna, AntennaLink, ReferenceValue, Source, System
from factories.services import DEFAULT_CATALOGUE_PATH

REFERENCE_MODELS = (
    AIFactory, System, Antenna, AntennaLink, Source, AccessMode, Cutoff, ReferenceValue,
)  # fmt: skip
HISTORY_MODELS = (AIFactory, System, Antenna, AntennaLink, Source, AccessMode)


def run(command: str, *args: str) -> str:
    """Run a management command as an operator would; what it printed."""
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def catalogue_data() -> dict[str, Any]:
    return json.loads(DEFAULT_CATALOGUE_PATH.read_text(encoding="utf-8"))


def modes_data() -> dict[str, Any]:
    return json.loads(DEFAULT_ACCESS_MODES_PATH.read_text(encoding="utf-8"))


def factory_in(data: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(f for f in data["factories"] if f["slug"] == slug)


def system_in(data: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(s for f in data["factories"] for s in f["systems"] if s["slug"] == slug)


def mode_in(data: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(m for m in data["access_modes"] if m["slug"] == slug)


def write(tmp_path: Path, name: str, data: dict[str, Any] | str) -> str:
    path = tmp_path / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return str(path)


def snapshot() -> dict[str, Any]:
    """Every reference row as stored (updated_at included) and every history count: equal
    before and after means that nothing was written."""
    rows: dict[str, Any] = {
        m.__name__: list(m.objects.order_by("pk").values()) for m in REFERENCE_MODELS
    }
    rows |= {f"{m.__name__} history": m.history.count() for m in HISTORY_MODELS}
    rows["offers"] = list(AccessMode.systems.through.objects.order_by("pk").values())
    return rows


def admin_edit(client: Client, url: str, **changes: Any) -> None:
    """Change fields in an admin change form as an admin would: the form as the page shows it,
    with `changes`, posted back."""
    page = client.get(url)
    assert page.status_code == 200
    data = _change_form_data(page) | {k: str(v) for k, v in changes.items()}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def _change_form_data(response) -> dict[str, Any]:
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            else:
                data[form.add_prefix(name)] = "on" if value is True else str(value)
    return data


def antenna_in(data: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(a for a in data["antennas"] if a["slug"] == slug)
