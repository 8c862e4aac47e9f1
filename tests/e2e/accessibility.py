"""The automated accessibility check of a page: axe-core (from the npm registry, installed beside the
console's libraries by ``make install``) run inside the page against WCAG 2.1 A and AA: labels,
names, contrast, landmarks, keyboard reachability of what can be clicked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = (
    Path(__file__).resolve().parents[2] / "services" / "console" / "node_modules" / "axe-core" / "axe.min.js"
)
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Any, within: str | None = None) -> list[dict[str, Any]]:
    """What axe-core finds wrong on ``page`` (inside the element ``within`` selects, if given).
    The script is evaluated, not added as a tag: the console's content policy refuses inline scripts."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: `make install` installs axe-core from the npm registry")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        """async ([within, tags]) => {
            const result = await axe.run(within ? document.querySelector(within) : document,
                                         { runOnly: { type: 'tag', values: tags } });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + n.failureSummary),
            }));
        }""",
        [within, WCAG_AA],
    )
    return found


def assert_accessible(page: Any, within: str | None = None) -> None:
    """Fail with every violation axe-core finds, each with the elements it names."""
    found = violations(page, within)
    assert not found, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in found
    )
