"""The HTML report as a browser shows it: Debian's chromium, headless, driven by selenium.

Asserts on the rendered page, not on the HTML text: the subject is shown, the headline
comes first, titles and grades are labels, every text meets WCAG AA contrast against
the background it is drawn on (from the computed styles), grade tones stay apart in
greyscale, and no script from evidence runs.

Skipped when chromium or its driver is not installed, unless FRAMEWORK_DSL_REQUIRE_BROWSER=1
(as in CI, whose .ci/run installs them), which makes a missing browser a failure. Set
FRAMEWORK_DSL_SCREENSHOT_DIR=docs to write the screenshots docs/reports.md shows.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framework_dsl import RuleSet, load_rules

REPO = Path(__file__).resolve().parents[2]
CQC = REPO / "examples" / "cqc"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# Evidence text that would run script if the report passed it on as markup.
HOSTILE = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">Acme & Co'

# The contrast of every piece of text against the background it is drawn on, from the
# computed styles (WCAG 2 relative luminance); and each grade tone's luminance.
MEASURE = """
function rgba(text) {
  const m = text.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return [0, 0, 0, 0];
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function luminance([r, g, b]) {
  const f = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
function background(el) {
  let layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = out.map((v, i) => v * (1 - c[3]) + c[i] * c[3]);
  return out;
}
function blend(fg, bg) { return bg.map((v, i) => v * (1 - fg[3]) + fg[i] * fg[3]); }
const texts = [];
for (const el of document.querySelectorAll("body *")) {
  const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim())
    .map(n => n.textContent.trim()).join(" ");
  if (!own || el.getClientRects().length === 0) continue;
  const bg = background(el), fg = blend(rgba(getComputedStyle(el).color), bg);
  const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  texts.push({text: own.slice(0, 60), tag: el.tagName, cls: el.className, ratio: (a + 0.05) / (b + 0.05)});
}
const tones = {};
for (const el of document.querySelectorAll(".badge[class*='tone-grade-']")) {
  const tone = [...el.classList].find(c => c.startsWith("tone-grade-"));
  tones[tone] = luminance(background(el));
}
return {texts, tones};
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless chromium with a fresh profile, driven through Debian's chromedriver."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        message = f"not installed: {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("FRAMEWORK_DSL_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; FRAMEWORK_DSL_REQUIRE_BROWSER=1 requires them")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1100,1400",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _hostile_cqc(where: str = "subject") -> bytes:
    """The typical CQC document with markup in its subject.

    (A breach's paragraph is a validated provision: markup there is invalid evidence. The
    markup in a text the rules read is tried on PEEL below.)
    """
    data = json.loads((CQC / "typical.json").read_text(encoding="utf-8"))
    assert where == "subject"
    data["subject"] = {"provider": HOSTILE, "location": "Acme House"}
    return json.dumps(data).encode()


def _report(rules: RuleSet, documents: list[tuple[str, bytes]], target: Path, *, changes: bool = False) -> Path:
    """The HTML report of `documents`; with `changes`, what would change each judgement (as for one document)."""
    from framework_dsl.reports.batch import ReportWriter
    from framework_dsl.reports.guide import guides_for
    from framework_dsl.whatif import what_would_change

    with target.open("wb") as out, ReportWriter("html", guides_for(rules), version="0.1.0") as writer:
        for source, data in documents:
            result = rules.evaluate_json(data, None, source=source)
            found = what_would_change(rules, json.loads(data), as_of=result.as_of) if changes else None
            writer.add(result, changes=found)
        writer.finish(out)
    return target


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    """The bundled rules."""
    return load_rules()


def _open(browser: Any, page: Path, screenshot: str) -> dict[str, Any]:
    browser.set_window_size(1100, 1400)
    browser.get(page.as_uri())
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1100, min(int(height), 2000))
    where = Path(os.environ.get("FRAMEWORK_DSL_SCREENSHOT_DIR") or page.parent)
    browser.save_screenshot(str(where / screenshot))
    measured: dict[str, Any] = browser.execute_script(MEASURE)
    return measured


def _rendered_checks(browser: Any, measured: dict[str, Any]) -> None:
    """What holds on every report page: no script ran, contrast, labels, greyscale."""
    assert browser.execute_script("return window.__pwned === undefined && document.scripts.length === 0")
    low = [t for t in measured["texts"] if t["ratio"] < 4.5]
    assert low == [], f"text below WCAG AA contrast (4.5:1): {low}"
    titles = browser.execute_script(
        "return [...document.querySelectorAll("
        "'.badge, .title-text, .ratings-grid th, .leading-title, .counts caption')].map(e => e.innerText)"
    )
    assert titles and not [t for t in titles if "_" in t], "identifiers shown where labels belong"
    tones = measured["tones"]
    # Lighter for better grades, darker for worse, far enough apart to tell in greyscale.
    order = sorted(tones, key=lambda tone: int(tone.rsplit("-", 1)[1]))
    lightness = [116 * tones[tone] ** (1 / 3) - 16 for tone in order]
    assert all(a - b >= 10 for a, b in itertools.pairwise(lightness)), dict(zip(order, lightness, strict=True))


def test_one_cqc_report_in_a_browser(browser: Any, rules: RuleSet, tmp_path: Path) -> None:
    """One CQC document: subject and date at the top, the overall rating and the key questions first, inert evidence."""
    from selenium.webdriver.common.by import By

    typical = [("examples/cqc/typical.json", (CQC / "typical.json").read_bytes())]
    page = _report(rules, typical, tmp_path / "cqc.html", changes=True)
    measured = _open(browser, page, "report-cqc.png")
    _rendered_checks(browser, measured)
    assert browser.find_element(By.CSS_SELECTOR, ".document-head h2").text == "Acme House — Acme Care Ltd"
    facts = browser.find_element(By.CSS_SELECTOR, ".document-head .facts").text
    assert "Acme Care Ltd" in facts and "Acme House" in facts and "1 March 2019" in facts
    evidence_read = browser.find_element(By.CSS_SELECTOR, "#doc-1-criminal_route-1 .inputs").text
    assert "13(2)" in evidence_read  # the provision the route read
    headline = browser.find_element(By.CSS_SELECTOR, ".headline")
    first_section = browser.find_element(By.CSS_SELECTOR, "section.decisions")
    assert headline.rect["y"] < first_section.rect["y"]
    assert browser.find_element(By.CSS_SELECTOR, ".leading").text.split("\n") == ["Overall", "Requires improvement"]
    grid = [row.text for row in browser.find_elements(By.CSS_SELECTOR, ".ratings-grid tr")]
    assert grid == [
        "Safe Requires improvement",
        "Effective Good",
        "Caring Good",
        "Responsive Good",
        "Well-led Requires improvement",
    ]
    changes = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#doc-1-well_led .changes li")]
    assert changes == [
        "To Good: /key_questions/well_led/rating Requires improvement → Good",
        "To Inadequate: /key_questions/well_led/rating Requires improvement → Inadequate",
    ]


def test_a_mixed_batch_report_in_a_browser(browser: Any, rules: RuleSet, tmp_path: Path) -> None:
    """A batch with invalid, undetermined and not-in-force documents: counts and contents first, every problem shown."""
    from selenium.webdriver.common.by import By

    names = ["typical", "undetermined", "invalid", "not-in-force", "worked-1-all-good", "worked-4-safe-inadequate"]
    documents = [(f"examples/cqc/{name}.json", (CQC / f"{name}.json").read_bytes()) for name in names]
    documents.append(("examples/cqc/hostile.json", _hostile_cqc("subject")))
    page = _report(rules, documents, tmp_path / "batch.html")
    measured = _open(browser, page, "report-batch.png")
    _rendered_checks(browser, measured)
    assert browser.find_element(By.TAG_NAME, "h1").text == "7 evidence documents"
    statuses = [row.text for row in browser.find_elements(By.CSS_SELECTOR, ".summary .status-counts tbody tr")]
    assert statuses == [
        "Evaluated, every outcome decided 4",
        "Evaluated, some outcomes undetermined or not evaluated 1",
        "Not in force 1",
        "Invalid evidence 1",
    ]
    summary = browser.find_element(By.CSS_SELECTOR, ".summary")
    contents = browser.find_element(By.CSS_SELECTOR, "nav.contents:not(.attention)")
    first_document = browser.find_element(By.CSS_SELECTOR, "article.document")
    assert summary.rect["y"] < contents.rect["y"] < first_document.rect["y"]
    attention = [row.text.split("\n")[0] for row in browser.find_elements(By.CSS_SELECTOR, "nav.attention tbody tr")]
    assert [line.split(" ", 1)[0] for line in attention] == ["2", "3", "4"]
    links = browser.find_elements(By.CSS_SELECTOR, "nav.contents:not(.attention) tbody a")
    assert len(links) == 7 and all(browser.find_elements(By.ID, a.get_attribute("href").split("#")[1]) for a in links)
    problems = browser.find_element(By.CSS_SELECTOR, "#doc-3 .problems").text
    assert browser.find_element(By.CSS_SELECTOR, "#doc-7 .document-head h2").text == f"Acme House — {HOSTILE}"
    assert "13" in problems and "/key_questions/wellled" in problems and "did you mean `well_led`?" in problems
    undecided = browser.find_element(By.CSS_SELECTOR, "#doc-2 .undecided").text
    assert "/key_questions/well_led" in undecided and "/breaches/0/significant_risk_of_harm" in undecided


def test_markup_in_a_text_the_rules_read_stays_inert(browser: Any, rules: RuleSet, tmp_path: Path) -> None:
    """Markup in evidence text that the rules quote in a reason (a PEEL question's id) is shown as text, never run."""
    from selenium.webdriver.common.by import By

    data = json.loads((CQC.parent / "peel" / "typical-2023-25.json").read_text(encoding="utf-8"))
    data["questions"][0]["id"] = HOSTILE
    page = _report(rules, [("examples/peel/typical-2023-25.json", json.dumps(data).encode())], tmp_path / "peel.html")
    _open(browser, page, "report-peel.png")
    assert browser.execute_script("return window.__pwned === undefined && document.scripts.length === 0")
    assert f"Question {HOSTILE}" in browser.find_element(By.TAG_NAME, "body").text
