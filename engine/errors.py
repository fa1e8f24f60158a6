"""Problems found in an experiment, and the one exception that carries them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an experiment, named by where it is.

    `section` is "node", "model", "data", "training" or "file"; `node` is set for node problems
    and `field` names the parameter or key when there is one.
    """

    section: str
    message: str
    node: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"node '{self.node}'" if self.section == "node" else self.section
        return f"{where}: {self.message}".replace("\n", "\\n")  # one line per problem, whatever the names


def first_line(err: Exception) -> str:
    """An error's first line, shortened: torch's messages can go on with C++ frames."""
    text = str(err).strip().splitlines()
    return text[0][:160] if text else "no message"


def node_problem(node_id: str, message: str, field: str | None = None) -> Problem:
    return Problem("node", message, node=node_id, field=field)


class SpecError(ValueError):
    """An experiment that cannot be used; `problems` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems: list[Problem] = [p if isinstance(p, Problem) else Problem("model", str(p)) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]
