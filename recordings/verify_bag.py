#!/usr/bin/env python3
"""Check a BagIt bag (RFC 8493), zipped or unpacked, with the Python standard library only.

Usage: python3 verify_bag.py <bag.zip | bag folder>

Checks bagit.txt, every line of every payload manifest (manifest-<alg>.txt) and tag manifest
(tagmanifest-<alg>.txt), that every file under data/ is listed, Payload-Oxum, and, when present,
ingest-sha256.txt (the hashes fixed when each recording was first stored). Prints OK or FAILED per file;
exits 0 when everything holds, 1 otherwise. This file imports nothing but the standard library, so it can
be run on any machine with Python 3.8 or newer.
"""

import hashlib
import os
import re
import sys
import tempfile
import zipfile

CHUNK = 1024 * 1024
MANIFEST = re.compile(r"^(tag)?manifest-([a-z0-9]+)\.txt$")


class Report:
    def __init__(self):
        self.failures = 0
        self.checked = 0

    def ok(self, what):
        self.checked += 1
        print("OK      " + what)

    def fail(self, what):
        self.failures += 1
        print("FAILED  " + what)


def file_hash(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def decode_path(text):
    # RFC 8493 2.1.3: CR, LF and % in file names are percent-encoded.
    return text.replace("%0D", "\r").replace("%0d", "\r").replace("%0A", "\n").replace("%0a", "\n") \
        .replace("%25", "%")


def inside(root, relative):
    """The full path of `relative` if it stays inside the bag, else None (no ../, no absolute paths)."""
    full = os.path.realpath(os.path.join(root, relative))
    base = os.path.realpath(root)
    return full if full.startswith(base + os.sep) else None


def read_lines(path, report, name):
    try:
        with open(path, "rb") as f:
            data = f.read()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.fail(name + ": cannot read (" + str(exc) + ")")
        return []
    return [line for line in text.splitlines() if line.strip()]


def check_bagit_txt(root, report):
    lines = read_lines(os.path.join(root, "bagit.txt"), report, "bagit.txt")
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    if fields.get("BagIt-Version") in ("1.0", "0.97") and fields.get("Tag-File-Character-Encoding") == "UTF-8":
        report.ok("bagit.txt (BagIt " + fields["BagIt-Version"] + ")")
    else:
        report.fail("bagit.txt: missing or without BagIt-Version and Tag-File-Character-Encoding: UTF-8")


def check_manifest(root, name, algorithm, report, payload, label=None):
    """Check every line; return the set of paths listed."""
    listed = set()  # type: set[str]
    if algorithm not in hashlib.algorithms_available:
        report.fail(name + ": unknown algorithm " + algorithm)
        return listed
    for number, line in enumerate(read_lines(os.path.join(root, name), report, name), start=1):
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            report.fail(name + " line " + str(number) + ": not '<hash> <path>'")
            continue
        expected, relative = parts[0].lower(), decode_path(parts[1].lstrip("*"))
        full = inside(root, relative)
        if full is None or (payload and not relative.startswith("data/")):
            report.fail(relative + ": path outside the bag's " + ("data/" if payload else "folder"))
            continue
        listed.add(relative)
        if not os.path.isfile(full):
            report.fail(relative + ": MISSING (listed in " + name + ")")
            continue
        actual = file_hash(full, algorithm)
        if actual == expected:
            report.ok(relative + " (" + (label or algorithm) + ")")
        else:
            report.fail(relative + ": " + algorithm + " is " + actual + ", " + name + " says " + expected)
    return listed


def payload_files(root):
    found = []
    for folder, _dirs, files in os.walk(os.path.join(root, "data")):
        for name in files:
            found.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return sorted(found)


def check_oxum(root, files, report):
    lines = read_lines(os.path.join(root, "bag-info.txt"), report, "bag-info.txt") \
        if os.path.isfile(os.path.join(root, "bag-info.txt")) else []
    for line in lines:
        if line.startswith("Payload-Oxum:"):
            size = sum(os.path.getsize(os.path.join(root, f)) for f in files)
            actual = str(size) + "." + str(len(files))
            stated = line.split(":", 1)[1].strip()
            if stated == actual:
                report.ok("Payload-Oxum " + stated)
            else:
                report.fail("Payload-Oxum: bag-info.txt says " + stated + ", the payload is " + actual)


def verify(root):
    report = Report()
    if not os.path.isfile(os.path.join(root, "bagit.txt")):
        report.fail("bagit.txt: not found in " + root + " (not a bag)")
        return report
    check_bagit_txt(root, report)
    names = sorted(os.listdir(root))
    payload = []  # type: list[tuple[str, str]]
    tags = []  # type: list[tuple[str, str]]
    for name in names:
        match = MANIFEST.match(name)
        if match:
            (tags if match.group(1) else payload).append((name, match.group(2)))
    if not payload:
        report.fail("no payload manifest (manifest-<algorithm>.txt)")
    files = payload_files(root)
    for name, algorithm in payload:
        covered = check_manifest(root, name, algorithm, report, payload=True)
        for missing in sorted(set(files) - covered):
            report.fail(missing + ": in data/ but not listed in " + name)
    check_oxum(root, files, report)
    tag_listed = set()  # type: set[str]
    for name, algorithm in tags:
        tag_listed |= check_manifest(root, name, algorithm, report, payload=False)
    for name, _algorithm in payload if tags else []:
        if name not in tag_listed:
            report.fail(name + ": not protected by the tag manifest")
    if os.path.isfile(os.path.join(root, "ingest-sha256.txt")):
        check_manifest(root, "ingest-sha256.txt", "sha256", report, payload=True,
                       label="sha256 fixed at ingest / khớp mã băm lúc lưu")
    return report


def bag_root(folder):
    """The bag itself, or the single folder inside that holds bagit.txt (a zipped bag has one top folder)."""
    if os.path.isfile(os.path.join(folder, "bagit.txt")):
        return folder
    inner = [os.path.join(folder, n) for n in os.listdir(folder) if os.path.isdir(os.path.join(folder, n))]
    return inner[0] if len(inner) == 1 else folder


def unzip(path, into):
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if inside(into, member) is None and member.rstrip("/"):
                raise ValueError("unsafe path in zip: " + member)
        archive.extractall(into)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip())
        return 2
    target = argv[1]
    if os.path.isdir(target):
        report = verify(bag_root(target))
    else:
        with tempfile.TemporaryDirectory() as scratch:
            try:
                unzip(target, scratch)
            except (OSError, ValueError, zipfile.BadZipFile) as exc:
                print("FAILED  " + target + ": cannot unpack (" + str(exc) + ")")
                return 1
            report = verify(bag_root(scratch))
    if report.failures:
        print("BAG FAILED: " + str(report.failures) + " problem(s), " + str(report.checked) + " check(s) passed"
              " / GÓI KHÔNG HỢP LỆ")
        return 1
    print("BAG VALID: " + str(report.checked) + " check(s) passed / GÓI HỢP LỆ")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
