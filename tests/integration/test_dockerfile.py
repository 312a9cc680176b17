"""The Dockerfile pins every base image by digest (issue 17 §7, docs/SECURITY.md).

A tag such as debian:bookworm-slim can be re-pushed: a rebuild would then run
bytes nobody tested. Every FROM names an image as NAME[:TAG]@sha256:<64 hex>,
or an earlier stage of the same file.
"""
import os
import re

from conftest import ROOT

PINNED = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$")


def from_lines(path):
    """(image, stage name) of each FROM, continuation lines joined."""
    text = open(path).read().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].upper() != "FROM":
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        stage = args[2].lower() if len(args) >= 3 and args[1].upper() == "AS" else None
        out.append((args[0], stage))
    return out


def test_every_from_is_pinned_by_digest():
    froms = from_lines(os.path.join(ROOT, "Dockerfile"))
    assert froms, "no FROM line found"
    stages = set()
    for image, stage in froms:
        if image.lower() not in stages:
            assert PINNED.match(image), f"FROM {image} is not pinned by @sha256 digest"
        if stage:
            stages.add(stage)


def test_checker_refuses_unpinned_images(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_text("FROM debian:bookworm-slim AS build\nFROM build\n")
    image, _ = from_lines(str(p))[0]
    assert not PINNED.match(image)
    assert PINNED.match("debian:bookworm-slim@sha256:" + "a" * 64)
