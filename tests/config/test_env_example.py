"""`.env.example` documents every variable that config/settings.py reads, and only those."""

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}


def variables_read_by_settings() -> set[str]:
    tree = ast.parse((ROOT / "config" / "settings.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ENV_READERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def variables_in_env_example() -> list[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)


def test_env_example_lists_every_variable_the_settings_read():
    documented = variables_in_env_example()

    assert variables_read_by_settings() - set(documented) == set()
    assert set(documented) - variables_read_by_settings() == set()
    assert len(documented) == len(set(documented)), "a variable is listed twice"


def test_env_example_can_be_sourced_by_a_shell():
    result = subprocess.run(  # noqa: S603 (a fixed command on a file of the repository)
        [
            "/bin/sh",
            "-c",
            'set -a; . "$1"; echo "$OTP_TOTP_ISSUER"',
            "sh",
            str(ROOT / ".env.example"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == "Portail Famille"
