"""`peyvand-sdk new NAME` makes a plugin that installs, is discovered and passes its own tests."""

import os
import subprocess
import sys

from click.testing import CliRunner

from peyvand_sdk.scaffold import main


def test_scaffolded_plugin_installs_and_passes_its_generated_tests(tmp_path):
    result = CliRunner().invoke(main, ["new", "loyalty", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    plugin_dir = tmp_path / "loyalty"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    install = subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", "-e",
                              str(plugin_dir)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    try:
        env = {**os.environ, "PEYVAND_STRICT_PLUGINS": "1"}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              str(plugin_dir / "tests")], cwd=plugin_dir, env=env,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "3 passed" in run.stdout
    finally:
        subprocess.run([*pip, "uninstall", "-y", "peyvand-loyalty"], check=True,
                       capture_output=True)


def test_bad_names_are_refused_with_the_rule(tmp_path):
    result = CliRunner().invoke(main, ["new", "Bad-Name", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "lower-case letters, digits or '_'" in result.output
