"""``python -m incidents.i18n update|check [LANG]``: keep the catalogues in step with the code."""

from __future__ import annotations

import sys

from incidents.i18n import LANGUAGES
from incidents.i18n.maintain import check, update


def main(argv: list[str]) -> int:
    """Update or check every translated language (or the one named)."""
    if not argv or argv[0] not in ("update", "check"):
        print("usage: python -m incidents.i18n update|check [LANG]", file=sys.stderr)
        return 2
    languages = argv[1:] or [code for code in LANGUAGES if code != "en"]
    worst = 0
    for language in languages:
        if argv[0] == "update":
            counts = update(language)
            print(f"{language}: {counts['added']} added, {counts['dropped']} dropped")
        problems = check(language)
        for problem in problems:
            print(problem)
        print(f"{language}: {len(problems)} problem(s)")
        worst = max(worst, 1 if problems else 0)
    return worst


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
