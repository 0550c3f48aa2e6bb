"""The HTML report in a real browser: it loads without console errors, requests nothing from the
network, shows the discrepancy rows, and prints to a PDF whose text holds every discrepancy's
exact amounts (nothing cut off). Needs Debian's `chromium` (scripts/test installs it)."""

import datetime as dt
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import counterfoil as cf

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed")


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "CI must have chromium: scripts/test installs it"
    base = [
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run([*base, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def rec() -> cf.Reconciliation:
    org = cf.simulate.Organization(seed=11, days=5, today=dt.date(2026, 11, 20), plants="all")
    with cf.FakeAdminApi(org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        start, end = org.window
        return cf.reconcile(client.usage(start, end), client.cost(start, end), workspaces=client.workspaces())


@pytest.fixture(scope="module")
def report(rec: cf.Reconciliation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    rec.to_html(path)
    return path


def test_loads_without_console_errors_and_shows_discrepancies(report: Path) -> None:
    p = chromium("--dump-dom", report.as_uri())
    assert p.returncode == 0, p.stderr[-2000:]
    dom = p.stdout
    assert dom.count('class="discrepancy"') >= 6, "every planted discrepancy is a row"
    assert "1h cache writes billed at the 5m rate" in dom
    console = [line for line in p.stderr.splitlines() if "CONSOLE" in line or "Failed to load resource" in line]
    assert console == [], console


def test_self_contained(report: Path) -> None:
    html = report.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external resources"
    assert "<script" not in html


def exact(d: Decimal | None, signed: bool = False) -> str | None:
    """The report's exact money text: `$1,234.5678`, at least cents, `+` on positive deltas."""
    if d is None:
        return None
    text = format(abs(d).normalize(), "f")
    whole, _, frac = text.partition(".")
    out = f"${int(whole):,}.{frac.ljust(2, '0')}"
    return ("-" if d < 0 else "+" if signed and d > 0 else "") + out


def test_renders_and_prints_with_nothing_cut_off(rec: cf.Reconciliation, report: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    png = tmp_path / "shot.png"
    p = chromium("--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={png}", report.as_uri())
    assert p.returncode == 0 and png.stat().st_size > 20_000, p.stderr[-2000:]
    pdf = tmp_path / "report.pdf"
    p = chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    assert p.returncode == 0 and pdf.read_bytes().startswith(b"%PDF"), p.stderr[-2000:]
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    flat = re.sub(r"\s+", " ", text)
    bad = rec.discrepancies
    assert bad.height >= 6
    for row in bad.iter_rows(named=True):
        for col, signed in [("expected_usd", False), ("reported_usd", False), ("delta_usd", True)]:
            shown = exact(row[col], signed)
            if shown is not None:
                assert shown in flat, f"{col} {shown} of {row['date']} {row['model']} is not in the printed PDF"
    for f in rec.findings.iter_rows(named=True):
        assert f["finding"] in flat
    for label in ["OVER-BILLED", "UNDER-BILLED", "UNCHECKED", "NET DELTA"]:
        assert label in text.upper()
