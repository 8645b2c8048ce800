"""The settings' documents come from bot/settings.py alone, and a setting that another change
adds finds its way into them, or the check names it and says what to do."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import Field

from bot.settings import GROUPS, Settings, setting

ROOT = Path(__file__).resolve().parent.parent
CHART_FILES = ("values.yaml", "values.schema.json", "README.md")


@pytest.fixture(scope="module")
def docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_docs", ROOT / "scripts" / "settings_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["settings_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_every_setting_has_a_group_and_a_description() -> None:
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra
        assert isinstance(extra, dict) and extra.get("group") in GROUPS, name
        assert field.description, name


def test_the_committed_documents_are_what_the_settings_say(docs: ModuleType) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/settings_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_a_new_setting_appears_in_the_readme_the_values_and_the_schema(docs: ModuleType) -> None:
    class Grown(Settings):
        audit_retention_days: int = setting(90, "store", "days the audit trail is kept", ge=1, le=3650)

    found = docs.settings_docs(Grown)
    readme = docs.readme_block(found)
    assert "| `PILOTHOUSE_AUDIT_RETENTION_DAYS` | days the audit trail is kept | `90` |" in readme
    values = docs.values_block(found)
    assert "  # -- PILOTHOUSE_AUDIT_RETENTION_DAYS: days the audit trail is kept (default: 90)" in values
    assert "  auditRetentionDays: null" in values
    schema = docs.settings_schema(found)["properties"]["auditRetentionDays"]
    assert schema["type"] == ["integer", "null"] and (schema["minimum"], schema["maximum"]) == (1, 3650)


def test_a_setting_without_group_or_description_is_named_with_the_fix(docs: ModuleType) -> None:
    class Careless(Settings):
        impersonate_user_prefix: str = Field(default="slack:")

    with pytest.raises(docs.Undocumented) as e:
        docs.settings_docs(Careless)
    message = str(e.value)
    assert "PILOTHOUSE_IMPERSONATE_USER_PREFIX (impersonate_user_prefix) has no description" in message
    assert "has group None" in message and 'setting(default, "<group>", "<what it does>")' in message


def test_drift_is_reported_with_the_command_that_mends_it(tmp_path: Path) -> None:
    # A copy of the generated files and the script, with one of them edited by hand.
    for relative in ("scripts/settings_docs.py", "README.md", *(f"helm/pilothouse/{n}" for n in CHART_FILES)):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text((ROOT / relative).read_text())
    values = tmp_path / "helm/pilothouse/values.yaml"
    values.write_text(values.read_text().replace("logLevel: null", "logLevel: INFO"))
    result = subprocess.run(
        [sys.executable, "scripts/settings_docs.py", "--check"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "settings_docs: helm/pilothouse/values.yaml is out of date with bot/settings.py",
        "settings_docs: run `.venv/bin/python scripts/settings_docs.py` and commit what it changes",
    ]


def test_every_chart_value_is_documented(docs: ModuleType) -> None:
    values = docs.documented_values(docs.VALUES.read_text())
    paths = {v.path for v in values}
    assert {"replicaCount", "redis.mode", "rbac.impersonation.users", "settings.logLevel"} <= paths
    with pytest.raises(docs.Undocumented, match=r"no `# -- description` above extra\.knob"):
        docs.documented_values(docs.VALUES.read_text() + "extra:\n  knob: 1\n")
    table = (ROOT / "helm" / "pilothouse" / "README.md").read_text()
    assert all(f"| `{p}` |" in table for p in paths)
    assert (
        json.loads((ROOT / "helm" / "pilothouse" / "values.schema.json").read_text())["additionalProperties"] is False
    )
