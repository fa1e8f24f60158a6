"""An experiment's title and description are data: whatever they hold, every export keeps them
as text (never as code) and the exported scripts compile, run and show them unchanged."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine import load_experiment
from engine.export import export
from tests.conftest import ROOT
from tests.engine.test_export import clean_env, load_script

HOSTILE = [
    'ends """ the docstring early',
    "ends ''' the other docstring early",
    "C:\\users\\me\\new folder",
    "bad escapes \\x \\N{oops} \\u12 \\777",
    "a trailing backslash \\",
    "lines\nand\r\nreturns\rand\ttabs",
    "NUL \x00 form feed \x0c vertical tab \x0b escape \x1b[31m",
    "separators \u2028 \u2029 \x85 \x1c",
    "emoji 🧠🔥, ünïcödé, 中文, עברית",
    "%(prog)s 100% {braces} {{}} %s",
    "x" * 3000 + " " + "word " * 2000,
    "",
    "   ",
    '"',
    "'",
    "\\",
]


def injection(folder) -> str:
    """Text that, pasted into a docstring, would run a statement that leaves a file in `folder`."""
    return f'"""\nimport os; os.system("touch {folder}/PWNED")\n"""'


def xor_with(title: str, description: str) -> dict:
    raw = json.loads((ROOT / "presets" / "mlp_xor.json").read_text())
    return {**raw, "title": title, "description": description}


@pytest.mark.parametrize("to", ["pytorch", "ddp"])
def test_scripts_hold_any_title_and_description_as_text(to, tmp_path, monkeypatch, capsys):
    for i, text in enumerate([*HOSTILE, injection(tmp_path)]):
        reversed_text = text[::-1]  # a title and a description that differ
        path = export(load_experiment(xor_with(text, reversed_text)), to, tmp_path / f"train_{i}.py")
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec")
        module = load_script(path)  # runs the module's top level: an injected statement would run here
        held = module.TITLE, module.DESCRIPTION
        assert held == (text, reversed_text), repr(text)[:80]
        monkeypatch.setattr(sys, "argv", [path.name, "--help"])
        with pytest.raises(SystemExit) as exit_info:
            module.arguments()  # argparse shows the title in --help
        assert exit_info.value.code == 0, repr(text)[:80]
        capsys.readouterr()
    assert not (tmp_path / "PWNED").exists()


def test_help_shows_a_title_with_percent_signs_as_written(tmp_path, monkeypatch, capsys):
    title = "50% done, %(prog)s and %s"
    module = load_script(export(load_experiment(xor_with(title, "")), "pytorch", tmp_path / "train.py"))
    monkeypatch.setattr(sys, "argv", ["train.py", "--help"])
    with pytest.raises(SystemExit):
        module.arguments()
    assert title in capsys.readouterr().out


def test_a_script_with_a_hostile_title_runs_and_prints_it_unchanged(tmp_path):
    title = injection(".") + " C:\\users\\me \\x \r\n \u2028 🧠 %(prog)s \x0c end"
    script = export(load_experiment(xor_with(title, injection("."))), "pytorch", tmp_path / "train.py")
    result = subprocess.run([sys.executable, script.name, "--epochs", "1"], cwd=tmp_path, env=clean_env(),
                            capture_output=True, timeout=300)  # bytes: text mode would turn "\r" into "\n"
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    output = result.stdout.decode("utf-8")
    assert output.startswith(title + "\n")
    assert "epoch 1/1" in output
    assert not (tmp_path / "PWNED").exists()


def test_the_spec_export_keeps_the_text(tmp_path):
    for i, text in enumerate(HOSTILE):
        path = export(load_experiment(xor_with(text, text[::-1])), "spec", tmp_path / f"spec_{i}.json")
        reloaded = load_experiment(path)  # through the file, as a user would
        assert (reloaded.title, reloaded.description) == (text, text[::-1]), repr(text)[:80]


def test_a_lone_surrogate_in_the_title_is_a_file_problem_not_a_broken_script():
    from engine.experiment import check_experiment

    raw = json.loads('{"format": "neuroloom/1", "title": "a \\ud800 b", "model": {"input": {"shape": [2]}, '
                     '"nodes": [{"id": "out", "type": "Linear", "params": {"out_features": 1}}]}}')
    _, problems = check_experiment(raw)
    assert [str(p) for p in problems] == ['file: "title" holds a lone surrogate (such as \\ud800), which is not text']


def test_links_and_files_with_a_lone_surrogate_are_refused_once_with_a_file_line():
    from engine import SpecError
    from engine.experiment import parse_text
    from engine.share import decode, encode

    raw = json.loads('{"format": "neuroloom/1", "data": {"dataset": "csv", "target": "\\ud800"}}')
    with pytest.raises(SpecError) as link:
        decode(encode(raw))
    assert link.value.lines() == ["file: the link's experiment holds a lone surrogate (such as \\ud800), which is not text"]
    with pytest.raises(SpecError) as file:
        parse_text('{"title": "\\ud800"}', "x.json")
    assert file.value.lines() == ["file: x.json holds a lone surrogate (such as \\ud800), which is not text"]


def test_a_link_that_inflates_past_its_limit_is_too_large_not_damaged():
    from engine import SpecError
    from engine.share import decode, encode

    with pytest.raises(SpecError) as err:
        decode(encode({"title": "a" * (2 * 2**20)}))  # compresses to a few KiB
    assert err.value.lines() == ["file: the link's experiment is larger than 1 MiB"]
