"""Members of Debian packages, without installing them: ``apt-get download`` the .deb, stream
only the wanted members out of it (``dpkg-deb --fsys-tarfile | tar``), and, for game data
kept in zip archives (``.pk3``, ``.zip``), extract just the wanted members of those and delete
the archive. A package is extracted once; a rerun finds its ``.extracted`` stamp.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

__all__ = ["FetchError", "fetch", "licence_of"]


class FetchError(RuntimeError):
    """A package could not be downloaded or extracted (the build reports it and goes on)."""


def _deb(package: str, cache: Path) -> Path:
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    done = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True, text=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if done.returncode != 0 or not found:
        last = (done.stderr.strip().splitlines() or ["no .deb downloaded"])[-1]
        raise FetchError(f"{package}: apt-get download failed: {last}")
    return found[-1]


def fetch(package: str, members: list[str], cache: Path, archives: dict[str, list[str]] | None = None) -> Path:
    """Extract ``members`` (tar wildcards such as ``*/sounds/*.ogg``) of ``package`` into
    ``cache/PKG`` and return that folder. ``archives`` maps a zip member's wildcard (among
    ``members``) to the wildcards of its own members to keep; the zip is deleted after."""
    folder = cache / package
    stamp = folder / ".extracted"
    if stamp.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted extraction: start again
    folder.mkdir(parents=True)
    deb = _deb(package, cache)
    wanted = [*members, f"./usr/share/doc/{package}/copyright"]
    tar = subprocess.Popen(["tar", "-x", "-C", str(folder), "--wildcards", *wanted], stdin=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    unpack = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=tar.stdin, stderr=subprocess.PIPE)
    tar.stdin.close()
    tar_error = tar.stderr.read().decode(errors="replace")
    if unpack.returncode != 0 or tar.wait() != 0:
        message = (unpack.stderr.decode(errors="replace") + tar_error).strip().splitlines()
        raise FetchError(f"{package}: cannot extract {deb.name}: {message[-1] if message else 'tar failed'}")
    for pattern, inner in (archives or {}).items():
        for archive in sorted(a for a in folder.rglob(Path(pattern).name) if a.match(pattern)):
            with zipfile.ZipFile(archive) as zipped:
                for name in zipped.namelist():
                    if any(fnmatch.fnmatch(name, wildcard) for wildcard in inner):
                        zipped.extract(name, archive.parent / (archive.stem + ".contents"))
            archive.unlink()
    stamp.write_text(deb.name + "\n")
    return folder


def licence_of(folder: Path, package: str) -> str:
    """The licence a package's copyright file gives for its files: the ``License:`` of the
    ``Files: *`` stanza (DEP-5), else the most frequent ``License:``, else a pointer to it."""
    path = folder / "usr/share/doc" / package / "copyright"
    if not path.exists():
        return f"see /usr/share/doc/{package}/copyright"
    text = path.read_text(errors="replace")
    stanzas = re.split(r"\n\s*\n", text)
    for stanza in stanzas:
        if re.search(r"^Files:\s*\*\s*$", stanza, re.M):
            found = re.search(r"^License:\s*(\S.*)$", stanza, re.M)
            if found:
                return f"{found.group(1).strip()} (/usr/share/doc/{package}/copyright)"
    licences = Counter(m.strip() for m in re.findall(r"^License:\s*(\S.*)$", text, re.M))
    if licences:
        return f"{licences.most_common(1)[0][0]} (/usr/share/doc/{package}/copyright)"
    return f"see /usr/share/doc/{package}/copyright"
