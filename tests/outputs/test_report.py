"""The evidence a run leaves: HTML report, JUnit XML and JSON; escaped, secret-free, and checked in Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from cutover.history.layout import SCHEMA
from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import ROOT, report_files, run_gates

KNOWN_PASSWORD = "Kn0wn-Secret-Pa55w0rd"


def outputs(folder: Path, kinds: tuple[str, ...] = (".html", ".xml", ".json")) -> dict[str, Path]:
    found = {p.suffix: p for p in report_files(folder)}
    assert set(found) == set(kinds), sorted(folder.iterdir())
    for p in found.values():
        assert re.fullmatch(r"cutover-\d{8}T\d{6}Z-SIMULATED\.(html|xml|json)", p.name), p.name
    return found


def test_every_run_leaves_report_junit_and_json(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    # No --junit-xml here: the default JUnit file goes beside the report (an explicit one would win).
    result = pytester.runpytest_subprocess(str(ROOT / "checks"), "-p", "no:cacheprovider", "--sandbox", "pinned-leaf",
                                           "--reports-dir", str(folder), "--sr", "3-1234567890", timeout=300)
    assert result.ret == 1
    files = outputs(folder)
    assert files[".xml"].read_text().count("<testcase") == 112
    doc = json.loads(files[".json"].read_text())
    assert doc["schema"] == SCHEMA and doc["simulated"] is True and doc["ready"] is False
    assert doc["verdict"] == "NOT ready for cutover: 1 of 112 gate test(s) failed"
    assert doc["judge"]["engine"] == "jvm" and doc["judge"]["jvm"]["version"]
    assert doc["environment"]["Service request"] == "3-1234567890"
    records = {(r["gate"], r["target"]): r for r in doc["records"]}
    assert len(records) == 112 == len(doc["records"])  # one per target and gate
    failed = records[("no_lb_cert", "us2")]
    assert failed["outcome"] == "failed" and "us2-lb-cert" in failed["message"]
    assert failed["remedy"][0].startswith("keytool -delete -alias us2-lb-cert")
    # The store and each bundle are in the document once; data centre records refer to them.
    assert failed["evidence"] == {"bundle": "us2", "truststore": "default"}
    store = doc["truststores"]["default"]
    assert {e["alias"] for e in store["entries"]} >= {"us2-lb-cert", "sandbox-root-g2"}
    assert store["type"] == "PKCS12" and len(store["sha256"]) == 64
    assert set(doc["bundles"]) == {r["dc"] for r in doc["records"]} and doc["bundles"]["us2"]["root"]["sha256"]
    assert doc["datacenters"]["us2"]["name"] == "US2 - Chicago"
    # The fix plan: one structured step, the delete, naming the failure it fixes.
    [step] = doc["fix_plan"]
    assert step["kind"] == "delete" and step["alias"] == "us2-lb-cert" and step["owner"] == "you"
    # A --sandbox run's store is written beside its report, so the command still runs once the edge is gone.
    assert step["store"] == str(files[".json"].with_name(f"{files['.json'].stem}-truststore.jks"))
    assert step["store_type"] == "PKCS12" and Path(step["store"]).is_file()
    assert step["sha256"] == next(e["certificate"]["sha256"] for e in store["entries"] if e["alias"] == "us2-lb-cert")
    assert step["command"] == failed["remedy"][0] and step["fixes"] == [{"gate": "no_lb_cert", "target": "us2"}]
    assert "fix plan (1 step(s)" in result.stdout.str() and "(fixes no_lb_cert for us2)" in result.stdout.str()
    pod = records[("chain_trusted", "us2/acme")]
    assert pod["evidence"] == {"pod": "us2/acme", "client": "default"} and len(doc["pods"]) == 28
    ev = doc["pods"]["us2/acme"]
    assert ev["cname_chain"][0] == "acme.fa.us2.oraclecloud.com" and ev["staging_ips"] == ["127.20.11.1"]
    assert ev["hosts_lines"] == ["127.20.11.1 acme.fa.us2.oraclecloud.com"]
    trust = ev["trust"]["default"]["verdicts"]
    assert trust[0]["ok"] is True and trust[0]["engine"] == "jvm"
    assert [c["network"] for c in ev["presented_chains"]] == ["staging", "production"]
    assert ev["presented_chains"][0]["chain"][0]["sans"] == ["acme.fa.us2.oraclecloud.com"]
    assert pod["start"] and pod["duration_s"] is not None
    assert "3-1234567890" in files[".html"].read_text()
    assert f"json evidence: {files['.json']}" in result.stdout.str()


def test_no_reports_writes_nothing(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    run_gates(pytester, "--sandbox", "good", "--dc", "us2", "--no-reports", "--reports-dir", str(folder))
    assert not folder.exists()


def test_a_known_password_appears_in_no_output(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    with Sandbox("stale-intermediate", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2", "em3"),
                 password=KNOWN_PASSWORD) as sb:
        monkeypatch.setenv(PASSWORD_ENV, KNOWN_PASSWORD)
        run = run_gates(pytester, "--datacenters", str(sb.config_path), "--reports-dir", str(folder))
    assert run.failed  # a failing run prints the most: its remedies, its evidence
    files = [*outputs(folder, (".html", ".json")).values(), run.junit]
    for f in files:
        assert KNOWN_PASSWORD not in f.read_text(errors="replace"), f
    assert KNOWN_PASSWORD not in run.output


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def no_sideways_scroll(page: Any, widths: tuple[int, ...] = (1280, 390)) -> None:
    """Every row opened, the page is no wider than the window at each width (a desktop, a phone): long commands
    and names wrap, and only the matrix scrolls, inside its own box. No text is smaller than 12 px."""
    if page.locator("#show_all_details").count():
        page.locator("#show_all_details").click()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client == width, f"the page scrolls sideways at {width} px: {scroll} > {client}"
        assert page.evaluate(SMALLEST_TEXT) >= 12, f"text under 12 px at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


#: The smallest font size of any visible element that holds text of its own.
SMALLEST_TEXT = """Math.min(...[...document.querySelectorAll('body *')].filter(el => el.offsetParent !== null &&
    [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())).map(el =>
    parseFloat(getComputedStyle(el).fontSize)))"""


def reader_order(page: Any) -> None:
    """The verdict first (in the first 300 px), then the fix plan and the matrix, then the environment and the
    rows; pytest-html's own environment folded after the rows."""
    def top(selector: str) -> float:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not shown"
        return float(box["y"])

    page.evaluate("window.scrollTo(0, 0)")
    verdict = top("#cutover-verdict")
    assert verdict < 300, f"the verdict is {verdict} px down the page"
    assert verdict < top("#cutover-matrix") < top("#cutover-env") < top("#results-table") < top("#cutover-tool-env")
    assert not page.locator("#environment").is_visible(), "pytest-html's own table is not where a reader starts"
    assert page.locator("#cutover-tool-env").get_attribute("open") is None, "folded"
    assert "Python" in page.locator("#cutover-tool-env").inner_text()


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_in_a_real_browser(pytester: pytest.Pytester, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    folder = tmp_path / "reports"
    run_gates(pytester, "--sandbox", "hostile-names", "--dc", "us2", "--dc", "em3", "--reports-dir", str(folder),
              "--sr=3-1234567890", "--report-per-sr")
    [report] = [p for p in folder.glob("*.html") if "-SR-" not in p.name]
    per_sr = report.with_name(f"{report.stem}-SR-3-1234567890.html")
    failing = tmp_path / "failing"
    run_gates(pytester, "--sandbox", "missing-intermediate", "--dc", "us2", "--dc", "em3", "--reports-dir",
              str(failing))
    [failing_report] = failing.glob("*.html")
    three = three_clients_report(pytester, tmp_path)
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            _full_report(page, report, per_sr)
            _per_sr_page(page, per_sr)
            _failing_report(page, failing_report)
            _three_clients(page, three)
        finally:
            browser.close()
    assert errors == []
    assert "<script>window.__pwned" not in html.unescape(report.read_text()).replace(
        "&lt;script&gt;window.__pwned", "")  # the only copies are escaped ones


def _full_report(page: Any, report: Path, per_sr: Path) -> None:
    """The passing report at 1280 px: the banner, the verdict, the matrix leading to its rows, names as text."""
    page.goto(report.as_uri())
    assert "SIMULATED" in page.title()
    assert page.locator("#cutover-simulated").is_visible()
    assert "ready for cutover" in page.locator("#cutover-verdict").inner_text()
    cells = page.locator("#cutover-matrix a:visible")  # the table's; each pod's card repeats its DC's (hidden here)
    assert cells.count() == 16  # 2 DCs x 2 pods x 3 pod gates + 2 DCs x 2 DC gates
    assert page.locator("tbody.results-table-row").count() == 16
    # Clicking a cell leads to its row.
    target = "cutover::no_lb_cert[em3]"
    link = page.locator(f"#cutover-matrix a[href='#{quote(target, safe='')}']:visible")
    assert link.inner_text() == "pass"
    link.click()
    page.wait_for_timeout(300)
    row = page.locator(f"tbody[id='{target}']")
    box = row.bounding_box()
    assert box is not None and 0 <= box["y"] < 900, box
    # Hostile names render as text: no markup ran, and the text is there to read.
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("location.hash") == f"#{quote(target, safe='')}"
    row.locator(".collapsible").click()  # passed rows start collapsed
    # RFC 4514 escapes < and > in a DN (\\<script\\>); the browser shows that text, it runs nothing.
    assert "\\<script\\>window.__pwned=2\\</script\\>" in row.inner_text()
    assert "US2 - Chicago" in page.locator("#cutover-matrix").inner_text()
    assert page.locator("#fix-plan").count() == 0, "nothing failed: no plan"
    assert page.locator(f"#cutover-sr-reports a[href='{per_sr.name}']").count() == 1
    # The store and bundles are shown once, folded; a data centre's row links to them.
    assert page.locator("#cutover-store").count() == 1
    assert row.locator("a[href='#cutover-store']").count() == 1
    # The row is titled by target and gate; pytest's node id stays beside it, for CI.
    assert row.locator(".col-check").inner_text() == "em3 - no_lb_cert"
    assert row.locator(".col-testId").inner_text() == target
    assert "SR 3-1234567890" in page.locator("#title").inner_text()
    reader_order(page)
    no_sideways_scroll(page)
    shot = ROOT / "reports" / "browser-check.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)


def _per_sr_page(page: Any, per_sr: Path) -> None:
    # The per-SR page: its own, self-contained, escaped, and as narrow.
    page.goto(per_sr.as_uri())
    assert "SR 3-1234567890" in page.title()
    assert page.evaluate("window.__pwned") is None
    assert "\\<script\\>window.__pwned=2\\</script\\>" in page.locator("body").inner_text()
    no_sideways_scroll(page)


def _failing_report(page: Any, failing_report: Path) -> None:
    # A failing run: the fix plan on top, its keytool command once, fully visible at 1280 px.
    page.goto(failing_report.as_uri())
    plan = page.locator("#fix-plan")
    assert plan.is_visible() and plan.bounding_box()["y"] < page.locator("#cutover-matrix").bounding_box()["y"]
    # Its store step in the one block to paste (no list item: nothing else to do), the password set above it.
    assert plan.locator("pre.cutover-script").count() == 1 and plan.locator("li").count() == 0
    assert plan.inner_text().count("keytool -importcert") == 1 and plan.locator("pre.cutover-setup").count() == 1
    assert "fixes aliases_present for em3, us2 and chain_trusted for us2/acme" in plan.inner_text()
    reader_order(page)
    # What a library said is labelled, after our own sentence.
    row = page.locator("tbody[id='cutover::chain_trusted[us2/acme]']")
    assert re.search(r"rejected by the JVM \(direct\): no path from the chain to a certificate in the truststore; "
                     r"Java said: “[^”]*PKIX path building failed", row.inner_text()), row.inner_text()
    no_sideways_scroll(page)
    page.screenshot(path=str(ROOT / "reports" / "browser-check-fix-plan.png"), full_page=False)


def three_clients_report(pytester: pytest.Pytester, tmp_path: Path) -> Path:
    """The widest report a team makes: 3 clients x 14 data centres (copies of the sandbox's store, so every gate
    passes and the run stays short)."""
    from tests.plugin.test_clients import clients_toml

    with Sandbox("good", workdir=tmp_path / "wide", pods_per_dc=1) as sb:
        names = ("good", "soa-integration", "payroll-batch")
        stores = [sb.truststore_path] + [shutil.copy(sb.truststore_path, tmp_path / f"{n}.jks") for n in names[1:]]
        toml = sb.workdir / "clients.toml"
        tables = [f'[clients.{n}]\ntruststore = "{p}"\npassword_env = "{PASSWORD_ENV}"\n'
                  for n, p in zip(names, stores, strict=True)]
        toml.write_text(clients_toml(sb, "\n".join(tables)))
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(PASSWORD_ENV, sb.password)
            report = tmp_path / "three.html"
            run = run_gates(pytester, "--datacenters", str(toml), f"--html={report}", "--self-contained-html",
                            "--sr=3-6666666666")  # the SR column too: its number is one word at every width
    assert run.result.ret == 0, run.output
    return report


def _three_clients(page: Any, report: Path) -> None:
    """3 clients x 14 data centres: every verdict in sight at 390 px (a card per pod), at the narrowest width the
    table is drawn at, and at 1280 px (the table)."""
    from cutover.outputs.matrix import cards_below

    page.goto(report.as_uri())
    reader_order(page)
    assert page.locator("#cutover-matrix a").count() == 14 * (2 + 3) + 3 * 14 * 2
    box = page.locator("#cutover-matrix").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280, box
    page.screenshot(path=str(ROOT / "reports" / "browser-check-3-clients.png"), full_page=False)
    no_sideways_scroll(page)
    records = {quote(r["test"], safe="") for r in json.loads(report.with_suffix(".json").read_text())["records"]}
    assert len(records) == 154
    for width in (390, cards_below(11, with_sr=True), 1280):
        every_verdict_in_sight(page, width, records)
    page.set_viewport_size({"width": 390, "height": 900})
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
    page.locator("#hide_all_details").click()
    reader_order(page)
    page.screenshot(path=str(ROOT / "reports" / "browser-check-390.png"), full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})


#: Every verdict link the reader can see in the matrix, and what is wrong with it: not inside the viewport, no size,
#: or another element at its centre; the phase and SR cells over their lines; anything scrolled or scrolling sideways.
IN_SIGHT = """() => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const lines = el => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; };
  const links = [...document.querySelectorAll('#cutover-matrix td a')].filter(shown);
  const wrong = [];
  for (const a of links) {
    const r = a.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    const where = `${a.closest('tr').dataset.pod} ${a.closest('td').dataset.label}: ${JSON.stringify(r)}`;
    if (!(r.width > 0 && r.height > 0)) wrong.push(`no size: ${where}`);
    if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) wrong.push(`outside: ${where}`);
    else if (document.elementFromPoint(x, y) !== a)
      wrong.push(`covered by ${document.elementFromPoint(x, y)?.outerHTML.slice(0, 80)}: ${where}`);
  }
  for (const c of document.querySelectorAll('#cutover-matrix .cutover-phase, #cutover-matrix .cutover-sr')) {
    const most = c.classList.contains('cutover-sr') ? 1 : 2;
    if (shown(c) && lines(c) > most)
      wrong.push(`${c.className} of ${c.closest('tr').dataset.pod} in ${lines(c)} lines`);
  }
  const scrolled = [...document.querySelectorAll('*')].filter(el => el.scrollLeft || el.scrollTop ||
    (['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth));
  if (scrollX || scrollY) wrong.push(`the window is scrolled to ${scrollX}, ${scrollY}`);
  for (const el of scrolled) wrong.push(`scrolled or scrolls sideways: ${el.tagName}#${el.id}.${el.className}`);
  const pods = new Set(links.map(a => a.closest('tr').dataset.pod));
  return {hrefs: links.map(a => a.getAttribute('href').slice(1)), wrong, pods: pods.size,
          perPod: Math.min(...[...pods].map(p => links.filter(a => a.closest('tr').dataset.pod === p).length))};
}"""


def every_verdict_in_sight(page: Any, width: int, records: set[str]) -> None:
    """At `width`, the window as tall as the matrix needs and every scroll position at 0: each gate verdict of each
    pod is inside the window, wider than 0, and the element found at its own centre (nothing covers it, no box
    hides it); the phase in two lines at most, an SR number in one."""
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    bottom = page.evaluate("Math.ceil(document.querySelector('#cutover-matrix').getBoundingClientRect().bottom)")
    page.set_viewport_size({"width": width, "height": max(900, bottom + 10)})
    page.wait_for_timeout(100)
    seen = page.evaluate(IN_SIGHT)
    assert seen["wrong"] == [], f"at {width} px: {seen['wrong'][:5]}"
    assert set(seen["hrefs"]) == records, f"at {width} px, not in sight: {sorted(records - set(seen['hrefs']))[:5]}"
    if width < 1000:  # cards: every pod's own card holds its 11 verdicts, its data centre's among them
        assert seen["pods"] == 14 and seen["perPod"] == 11, seen
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#cutover-matrix").scroll_into_view_if_needed()
        page.locator("#cutover-matrix").screenshot(path=str(ROOT / "reports" / f"browser-check-matrix-{width}.png"))


def test_xdist_gives_the_same_verdicts_and_one_report(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    serial = run_gates(pytester, "--sandbox", "pinned-leaf", "--dc", "us2", "--dc", "em3")
    folder = tmp_path / "reports"
    parallel = run_gates(pytester, "--sandbox", "pinned-leaf", "--dc", "us2", "--dc", "em3", "-n", "2",
                         f"--reports-dir={folder}")
    assert parallel.outcomes == serial.outcomes
    assert parallel.failed == {("no_lb_cert", "us2")}
    files = outputs(folder, (".html", ".json"))  # one report, written by the controller
    doc = json.loads(files[".json"].read_text())
    assert len(doc["records"]) == len(serial.outcomes) == 16
    assert doc["verdict"] == "NOT ready for cutover: 1 of 16 gate test(s) failed"
    assert len(doc["pods"]) == 4 and doc["truststores"]["default"]["entries"], "the controller holds the evidence"
    assert [s["alias"] for s in doc["fix_plan"]] == ["us2-lb-cert"]
    assert "keytool -delete -alias us2-lb-cert" in files[".html"].read_text()
