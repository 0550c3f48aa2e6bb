"""What `--out` (and `Reconciliation.to_*(path)`) does with what it is pointed at, as root in CI:
a regular file is replaced keeping its mode, a symlink is written through, a FIFO and a character
device are written into, `-` is stdout, and no new file is ever group- or world-writable."""

import datetime as dt
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import counterfoil as cf


@pytest.fixture(scope="module")
def api() -> Iterator[cf.FakeAdminApi]:
    with cf.FakeAdminApi(cf.simulate.Organization(seed=7, days=3, today=dt.date(2026, 11, 20))) as api:
        yield api


def reconcile_to(api: cf.FakeAdminApi, out: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "counterfoil", "reconcile", "--start", "2026-11-17", "--end", "2026-11-20"]
    cmd += ["--base-url", api.base_url, "--api-key", api.api_key, "--format", "json", "--out", out]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.umask(umask))


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_regular_files_symlinks_and_new_files(api: cf.FakeAdminApi, tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o640)
    assert reconcile_to(api, str(kept)).returncode == 0
    assert json.loads(kept.read_text())["summary"]["ok"] is True and mode(kept) == 0o640
    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to("target.json")
    p = reconcile_to(api, str(link))
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(link) == "target.json", "the link stays a link"
    assert json.loads(target.read_text())["window"] == {"start": "2026-11-17", "end": "2026-11-20"}
    fresh = tmp_path / "fresh.json"
    p = reconcile_to(api, str(fresh), umask=0)  # a umask of 0 would make a 0666 file
    assert p.returncode == 0, p.stderr
    assert mode(fresh) == 0o644, oct(mode(fresh))
    assert sorted(x.name for x in tmp_path.iterdir()) == ["fresh.json", "kept.json", "link.json", "target.json"]


def test_a_fifo_and_a_character_device_are_written_into_not_replaced(api: cf.FakeAdminApi, tmp_path: Path) -> None:
    fifo = tmp_path / "a.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    p = reconcile_to(api, str(fifo))
    reader.join(60)
    assert p.returncode == 0, p.stderr
    assert json.loads(got[0])["summary"]["lines"] > 0, "the reader got the whole report"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    # A character device of our own: /dev/null's numbers, made in the temp dir (root, as in CI).
    dev = tmp_path / "null"
    os.mknod(dev, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    p = reconcile_to(api, str(dev))
    assert p.returncode == 0, p.stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode) and os.lstat(dev).st_rdev == os.makedev(1, 3)
    assert "wrote" in p.stderr


def test_dash_is_stdout_and_a_directory_is_refused(api: cf.FakeAdminApi, tmp_path: Path) -> None:
    p = reconcile_to(api, "-")
    assert p.returncode == 0 and json.loads(p.stdout)["summary"]["ok"] is True
    assert "wrote" not in p.stderr and not Path("-").exists()
    p = reconcile_to(api, str(tmp_path))
    assert p.returncode == 2 and "it is a directory" in p.stderr, p.stderr


def test_python_writes_follow_the_same_rules(api: cf.FakeAdminApi, tmp_path: Path) -> None:
    rec = cf.AdminClient(api_key=api.api_key, base_url=api.base_url).reconcile("2026-11-17", "2026-11-20")
    target = tmp_path / "lines.csv"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    rec.to_csv(link)
    assert link.is_symlink() and target.read_text().startswith("date,") and mode(target) == 0o600
