"""The pictures of ``docs/console.md``: the demo run on a small country, then each of its people
signed in to the console in Debian's Chromium, a picture of each screen their roles show.

    PYTHONPATH=. .venv/bin/python docs/pictures/take.py [--households 2000] [--language en|es]

Writes ``docs/pictures/<screen>.jpg``, one per screen, as the first person who has it sees it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from services.demo.country import PEOPLE
from services.demo.steps import run
from services.stack import Stack
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

HERE = Path(__file__).resolve().parent


def sign_in(page, url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.fill("#sign-in input[name=username]", username)
    page.fill("#sign-in input[name=password]", password)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#console:not([hidden])")


def pictures_of(browser, url: str, username: str, password: str, locale: str, taken: set[str]) -> list[Path]:  # type: ignore[no-untyped-def]
    """A picture of each tab the person sees and no one before them had, each after its screen had
    a moment to load."""
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, url, username, password)
    time.sleep(2)
    written = []
    for tab in page.locator("#panel nav button").all():
        name = str(tab.get_attribute("data-tab"))
        if name in taken or not tab.is_visible():
            continue
        tab.click()
        time.sleep(2)
        path = HERE / f"{name}.jpg"
        page.screenshot(path=str(path), type="jpeg", quality=70)
        taken.add(name)
        written.append(path)
    context.close()
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--language", choices=("en", "es"), default="en")
    options = parser.parse_args(argv)
    locale = "es-DO" if options.language == "es" else "en-GB"
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(Path(folder), ports={"registry": 0, "alerts": 0, "transfers": 0, "console": 0}).start()
        try:
            passwords = run(stack, options.households, lambda line: print(line, flush=True))["passwords"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                taken: set[str] = set()
                for username, *_ in PEOPLE:
                    url = stack.url("console")
                    for path in pictures_of(browser, url, username, passwords[username], locale, taken):
                        print(f"wrote {path.relative_to(HERE.parents[1])}")
                browser.close()
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
