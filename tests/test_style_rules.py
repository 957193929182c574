"""Style rules that a grep can check (style guide section 6)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = re.compile(r"\b(Party|Interaction|Task)\.objects\b")


def test_views_api_and_tasks_never_query_business_models_directly() -> None:
    """Views, API and tasks go through access.py and selectors, so visibility rules are never bypassed."""
    files = [*ROOT.glob("crm/*/views*.py"), *ROOT.glob("crm/*/api/*.py"), *ROOT.glob("crm/*/tasks.py")]
    assert files
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []
