"""The install script: how it runs, what it sees, how its failure is told."""

from __future__ import annotations

import time

import pytest

from bearman_agent.errors import InstallScriptFailed
from bearman_agent.install_script import run_install_script


def test_a_script_without_interpreter_line_runs_with_sh(tmp_path):
    run_install_script(
        'echo "$GREETING" > out\n', workdir=tmp_path, env={"GREETING": "hi"}, timeout=10
    )
    assert (tmp_path / "out").read_text() == "hi\n"


def test_a_script_that_hangs_is_stopped_with_its_children(tmp_path):
    script = "#!/bin/sh\nsleep 60 &\necho started >&2\nsleep 60\n"
    start = time.monotonic()
    with pytest.raises(InstallScriptFailed, match="ran longer than 0.5 s"):
        run_install_script(script, workdir=tmp_path, env={}, timeout=0.5)
    assert time.monotonic() - start < 10


def test_failure_names_the_last_error_lines(tmp_path):
    script = "#!/bin/sh\nfor i in 1 2 3 4 5 6 7; do echo line $i >&2; done\nexit 9\n"
    with pytest.raises(InstallScriptFailed) as failure:
        run_install_script(script, workdir=tmp_path, env={}, timeout=10)
    assert str(failure.value) == (
        "install script exited with status 9: line 3 | line 4 | line 5 | line 6 | line 7"
    )


def test_an_empty_script_is_nothing_to_run(tmp_path, capsys):
    run_install_script("  \n", workdir=tmp_path, env={}, timeout=10)
    assert "the profile has no install script" in capsys.readouterr().err
    assert not (tmp_path / "install-script").exists()


def test_a_crlf_script_names_its_interpreter_shown_escaped(tmp_path):
    with pytest.raises(InstallScriptFailed) as failure:
        run_install_script("#!/bin/sh\r\necho hi\r\n", workdir=tmp_path, env={}, timeout=10)
    assert str(failure.value) == (
        r"cannot start the install script: interpreter /bin/sh\r not found "
        "(the script has CRLF line endings: save it with LF)"
    )


def test_a_missing_interpreter_is_named_not_the_script_file(tmp_path):
    with pytest.raises(InstallScriptFailed) as failure:
        run_install_script(
            "#! /opt/missing/python3 -u\nprint(1)\n", workdir=tmp_path, env={}, timeout=10
        )
    message = str(failure.value)
    assert message == "cannot start the install script: interpreter /opt/missing/python3 not found"
    assert "install-script" not in message
