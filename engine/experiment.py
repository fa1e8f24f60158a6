"""Load and validate experiment files (CONTRACT.md section 1)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.budget import run_problems
from engine.data import DataInfo, check_data
from engine.errors import Problem, SpecError
from engine.expect import check_expect, check_family
from engine.fit import fit_problems, resolve_loss
from engine.gan import gan_loss, gan_problems
from engine.shapes import Analysis, Limits, analyze
from engine.spec import ModelSpec, suggest
from engine.training.config import check_training

FORMAT = "neuroloom/1"
TOP_KEYS = ("format", "title", "description", "family", "expect", "model", "data", "training")
MAX_FILE_BYTES = 10 * 2**20
# The most values (keys, list items) an experiment holds: 500 nodes of a dozen each, and room to
# spare. More is no experiment anybody wrote, and each unknown key is a problem to word: a 1 MiB
# link of 100,000 keys took seconds to check and gave a 10 MB message.
MAX_VALUES = 20_000


@dataclass
class Experiment:
    """A validated experiment: the parsed model, its analysis, and the data and training sections."""

    title: str
    description: str
    model: ModelSpec
    analysis: Analysis
    data: dict[str, Any] | None
    training: dict[str, Any] | None
    data_info: DataInfo | None = None
    family: str | None = None
    expect: dict[str, Any] | None = None

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.analysis.nodes[self.model.output].output_shape

    @property
    def loss(self) -> str:
        """The training loss, with `auto` resolved for this model and data."""
        if self.training is None or self.data_info is None:
            raise SpecError(Problem("training", "this experiment has no data or training section to train with"))
        if self.gan:
            return gan_loss(self.training["loss"])
        return resolve_loss(self.training["loss"], self.data_info, self.output_shape)

    @property
    def gan(self) -> str | None:
        """For a GAN, the node whose output is a generated sample (engine.gan); else None."""
        return (self.training or {}).get("generator_output")

    def to_dict(self) -> dict[str, Any]:
        """The normalized experiment, every default written out."""
        out: dict[str, Any] = {
            "format": FORMAT,
            "title": self.title,
            "description": self.description,
        }
        out.update({k: v for k, v in (("family", self.family), ("expect", self.expect)) if v is not None})
        out["model"] = self.model.to_dict()
        if self.data is not None:
            out["data"] = dict(self.data)
        if self.training is not None:
            out["training"] = dict(self.training)
        return out


def read_file(path: str | Path) -> Any:
    """Read a JSON file, turning every way it can fail into a `file:` problem."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SpecError(Problem("file", f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB"))
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is no JSON, but harmless
    except SpecError:
        raise
    except FileNotFoundError:
        raise SpecError(Problem("file", f"{path} does not exist")) from None
    except IsADirectoryError:
        raise SpecError(Problem("file", f"{path} is a folder, not an experiment file")) from None
    except UnicodeDecodeError:
        raise SpecError(Problem("file", f"{path} is not a text file (expected JSON)")) from None
    except OSError as err:
        raise SpecError(Problem("file", f"cannot read {path}: {err.strerror or err}")) from None
    return parse_text(text, str(path))


def parse_text(text: str, name: str = "the file") -> Any:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(
            Problem("file", f"{name} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}")
        ) from None
    except RecursionError:
        raise SpecError(Problem("file", f"{name} is nested too deeply to be an experiment")) from None
    except ValueError as err:  # e.g. an integer of thousands of digits
        raise SpecError(Problem("file", f"{name} cannot be read as JSON: {err}")) from None
    return bounded(whole_text(raw, name), name)


def bounded(raw: Any, name: str) -> Any:
    """`raw`, unless it holds more than `MAX_VALUES` values: refused once, before anything reads
    its parts."""
    pending, seen = [raw], 0
    while pending:  # a loop, not recursion: the JSON may be nested as deep as its parser allowed
        value = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        seen += len(children)
        if seen > MAX_VALUES:
            raise SpecError(Problem("file", f"{name} holds more than {MAX_VALUES:,} values (keys and list items), "
                                            "more than any experiment needs"))
        pending.extend(child for child in children if isinstance(child, (dict, list)))
    return raw


def check_experiment(raw: Any, limits: Limits | None = None) -> tuple[Experiment | None, list[Problem]]:
    """Validate a parsed experiment object; returns it (when valid) and every problem found."""
    if not isinstance(raw, dict):
        return None, [Problem("file", f"an experiment is a JSON object, got {type(raw).__name__}")]
    problems: list[Problem] = []
    for key in raw:
        if key not in TOP_KEYS:
            problems.append(
                Problem("file", f"unknown key '{key}'{suggest(key, TOP_KEYS)} (allowed: {', '.join(TOP_KEYS)})")
            )
    if raw.get("format") != FORMAT:
        problems.append(Problem("file", f'"format" must be "{FORMAT}", got {raw.get("format")!r}'))
    for key in ("title", "description"):
        if not isinstance(raw.get(key, ""), str):
            problems.append(Problem("file", f'"{key}" must be text'))
        elif not _encodable(raw.get(key, "")):  # JSON's "\ud800" escapes make text no file can hold
            problems.append(Problem("file", f'"{key}" holds a lone surrogate (such as \\ud800), which is not text'))
    problems += check_family(raw.get("family")) + check_expect(raw.get("expect"))
    data = info = training = None
    if raw.get("data") is not None:
        data, info, data_problems = check_data(raw["data"], limits)
        problems += data_problems
    if raw.get("training") is not None:
        training, training_problems = check_training(raw["training"])
        problems += training_problems
    if "model" not in raw:
        problems.append(Problem("model", 'the experiment has no "model"'))
        return None, problems
    analysis = analyze(raw["model"], limits)
    problems += analysis.problems
    if problems:
        return None, problems
    spec = analysis.spec
    generated = training and training["generator_output"]
    if generated:  # a GAN: the data must fit the generator's samples, the loss the discriminator
        problems += gan_problems(analysis, info, generated, gan_loss(training["loss"]))
        if problems:
            return None, problems
    if info is not None:
        loss = resolve_loss(training["loss"] if training else "auto", info, analysis.nodes[spec.output].output_shape)
        output = analysis.nodes[spec.output].output_shape
        if not generated:
            problems += fit_problems(info, spec.input_shape, spec.input_dtype, output, loss, spec.node(spec.output))
        if training is not None and not problems:
            problems += run_problems(analysis, info, data, training, limits or Limits())
        if problems:
            return None, problems
    experiment = Experiment(
        title=raw.get("title", ""),
        description=raw.get("description", ""),
        model=spec,
        analysis=analysis,
        data=data,
        training=training,
        data_info=info,
        family=raw.get("family"),
        expect=raw.get("expect"),
    )
    return experiment, []


def whole_text(raw: Any, name: str) -> Any:
    """`raw`, unless a JSON escape such as "\\ud800" put half a character (a lone surrogate) in
    it: no page, file or script can hold that text, so it is refused once, here."""
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise SpecError(Problem("file", f"{name} holds a lone surrogate (such as \\ud800), which is not text")) from None
    return raw


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_experiment(source: str | Path | dict, limits: Limits | None = None) -> Experiment:
    """Parse and validate an experiment (a path or an already-parsed dict); raises `SpecError`."""
    raw = read_file(source) if isinstance(source, str | Path) else source
    experiment, problems = check_experiment(raw, limits)
    if problems:
        raise SpecError(problems)
    return experiment
