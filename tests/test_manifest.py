"""The manifest (:mod:`autocity_gis._manifest`): what proves a file is the toolkit's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from autocity_gis._manifest import MANIFEST, describe, is_ours, read_manifest, write_manifest


def _folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "a.txt").write_bytes(b"alpha")
    (out / "sub" / "b.bin").write_bytes(bytes(range(256)))
    entries = [*describe(out, "a.txt"), *describe(out, "sub")]
    write_manifest(out, entries, command="test")
    return out


def test_manifest_lists_sizes_and_hashes_computed_independently(tmp_path: Path) -> None:
    out = _folder(tmp_path)
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    files = {e["path"]: e for e in data["entries"] if e["type"] == "file"}
    assert files["a.txt"]["sha256"] == hashlib.sha256(b"alpha").hexdigest()
    assert files["sub/b.bin"]["size"] == 256
    assert {e["path"] for e in data["entries"] if e["type"] == "dir"} == {"sub"}
    manifest = read_manifest(out)
    assert manifest is not None
    assert is_ours(out, "a.txt", manifest) and is_ours(out, "sub", manifest)


def test_changed_added_or_replaced_entries_are_no_longer_ours(tmp_path: Path) -> None:
    out = _folder(tmp_path)
    manifest = read_manifest(out)
    assert manifest is not None
    (out / "a.txt").write_bytes(b"alphA")  # same size, other content
    assert not is_ours(out, "a.txt", manifest)
    (out / "sub" / "extra.txt").write_text("user's")
    assert not is_ours(out, "sub", manifest)
    (out / "sub" / "extra.txt").unlink()
    assert is_ours(out, "sub", manifest)
    (out / "sub" / "b.bin").unlink()
    (out / "sub" / "b.bin").symlink_to(tmp_path)
    assert not is_ours(out, "sub", manifest)
    assert not is_ours(out, "unlisted", manifest)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "written by autocity-gis from x\n",
        "[]",
        json.dumps({"format": "autocity-gis manifest", "version": 2, "entries": []}),
        json.dumps(
            {
                "format": "autocity-gis manifest",
                "version": 1,
                "entries": [{"path": "../escape", "type": "dir"}],
            }
        ),
        json.dumps(
            {
                "format": "autocity-gis manifest",
                "version": 1,
                "entries": [{"path": "/etc", "type": "dir"}],
            }
        ),
        json.dumps({"format": "autocity-gis manifest", "version": 1, "entries": [{"path": 1}]}),
    ],
)
def test_an_invalid_manifest_proves_nothing(tmp_path: Path, text: str) -> None:
    (tmp_path / MANIFEST).write_text(text)
    assert read_manifest(tmp_path) is None


def test_a_symlinked_manifest_proves_nothing(tmp_path: Path) -> None:
    out = _folder(tmp_path)
    (out / MANIFEST).rename(tmp_path / "elsewhere")
    (out / MANIFEST).symlink_to(tmp_path / "elsewhere")
    assert read_manifest(out) is None
