"""How an interface's all-or-nothing import refuses an upload: every problem names its field and line."""

from typing import Any

from django.core.exceptions import ValidationError

MAX_PROBLEMS = 20


class UploadRefused(ValidationError):
    """The upload was refused and nothing was written; `problems` name the line of each."""

    def __init__(self, problems: list[dict[str, Any]]):
        self.problems = problems[:MAX_PROBLEMS]
        super().__init__([p["message"] for p in self.problems])

    def as_dict(self) -> dict[str, Any]:
        first = self.problems[0]["message"]
        return {
            "detail": first if len(self.problems) == 1 else "Nothing was imported.",
            "errors": self.problems,
        }


def problem(line: int | None, message: str, field: str) -> dict[str, Any]:
    where = f"Line {line}: " if line else ""
    return {"field": field, "line": line, "message": f"{where}{message}"}
