"""Writes the .meta files Unity needs for every file and folder of the package, and drops orphans.

A package installed from git is read-only to Unity, so it cannot create these itself. GUIDs are
derived from the path, so regenerating gives the same bytes; existing .meta files are kept.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

PACKAGE = "com.worldsmith.client"

FOLDER = """fileFormatVersion: 2
guid: {guid}
folderAsset: yes
DefaultImporter:
  externalObjects: {{}}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
"""

IMPORTERS = {
    ".cs": """fileFormatVersion: 2
guid: {guid}
MonoImporter:
  externalObjects: {{}}
  serializedVersion: 2
  defaultReferences: []
  executionOrder: 0
  icon: {{instanceID: 0}}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
""",
    ".asmdef": """fileFormatVersion: 2
guid: {guid}
AssemblyDefinitionImporter:
  externalObjects: {{}}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
""",
    "package.json": """fileFormatVersion: 2
guid: {guid}
PackageManifestImporter:
  externalObjects: {{}}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
""",
}

TEXT = """fileFormatVersion: 2
guid: {guid}
TextScriptImporter:
  externalObjects: {{}}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
"""


def guid_for(relative: str) -> str:
    return hashlib.md5(f"{PACKAGE}/{relative}".encode()).hexdigest()


def imported(path: Path, root: Path) -> bool:
    """Unity skips hidden entries and folders ending in '~' (Samples~, Tools~)."""
    parts = path.relative_to(root).parts
    return not any(part.startswith(".") or part.endswith("~") for part in parts)


def template(path: Path) -> str:
    if path.is_dir():
        return FOLDER
    return IMPORTERS.get(path.name) or IMPORTERS.get(path.suffix) or TEXT


def sync(root: Path) -> list[str]:
    """Create missing .meta files and delete orphaned ones; returns what changed."""
    changed = []
    for path in sorted(root.rglob("*")):
        if not imported(path, root) or path.suffix == ".meta":
            continue
        meta = path.with_name(path.name + ".meta")
        if not meta.exists():
            relative = path.relative_to(root).as_posix()
            meta.write_text(template(path).format(guid=guid_for(relative)))
            changed.append(f"+ {meta.relative_to(root)}")
    for meta in sorted(root.rglob("*.meta")):
        if imported(meta, root) and not meta.with_name(meta.name[: -len(".meta")]).exists():
            meta.unlink()
            changed.append(f"- {meta.relative_to(root)}")
    return changed


if __name__ == "__main__":
    package_root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    for line in sync(package_root):
        print(line)
