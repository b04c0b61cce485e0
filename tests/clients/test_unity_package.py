"""The Unity package: fresh generated C#, C# that parses, .meta files, and a wired test assembly."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients import csharp_client
from tests.clients.csharp_source import configurations, preprocess, syntax_errors

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "clients" / "unity"
GENERATED = PACKAGE / "Runtime" / "Generated"
CSHARP_FILES = sorted(p for p in PACKAGE.rglob("*.cs"))
EDITOR_TESTS = PACKAGE / "Tests" / "Editor"


def _csharp_plugin() -> Path | None:
    for candidate in (REPO / ".tools" / "bin" / "grpc_csharp_plugin", shutil.which("grpc_csharp_plugin")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _unity_meta():
    spec = importlib.util.spec_from_file_location("unity_meta", PACKAGE / "Tools~" / "unity_meta.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_csharp_matches_the_protos(tmp_path):
    plugin = _csharp_plugin()
    if plugin is None or shutil.which("protoc") is None:
        pytest.skip("protoc and grpc_csharp_plugin come from `make tools`")
    protos = sorted(str(p.relative_to(REPO)) for p in (REPO / "proto" / "worldsmith" / "v1").glob("*.proto"))
    subprocess.run(
        ["protoc", "-Iproto", f"--csharp_out={tmp_path}", f"--grpc_out=no_server:{tmp_path}",
         f"--plugin=protoc-gen-grpc={plugin}", *protos],
        cwd=REPO, check=True, capture_output=True,
    )
    fresh = {p.name: p.read_bytes() for p in tmp_path.glob("*.cs")}
    checked_in = {p.name: p.read_bytes() for p in GENERATED.glob("*.cs")}
    assert sorted(checked_in) == sorted(fresh), "run `make clients`: generated file set differs"
    stale = [name for name in fresh if fresh[name] != checked_in[name]]
    assert not stale, f"run `make clients`: stale generated C# {stale}"


def test_every_service_has_a_client_stub():
    for proto in (REPO / "proto" / "worldsmith" / "v1").glob("*.proto"):
        for service in (line.split()[1] for line in proto.read_text().splitlines() if line.startswith("service ")):
            stub = (GENERATED / f"{proto.stem.capitalize()}Grpc.cs").read_text()
            assert f"public partial class {service}Client" in stub


@pytest.mark.parametrize("path", CSHARP_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_csharp_parses_in_every_configuration(path):
    source = path.read_text(encoding="utf-8-sig")
    for defined in configurations(source):
        errors = syntax_errors(preprocess(source, defined))
        assert not errors, f"{path.name} with {sorted(defined) or 'no symbols'}: {errors[:5]}"


def test_syntax_check_catches_a_broken_file():
    broken = "namespace Worldsmith { public sealed class A { void B() { var x = ; } }"
    assert syntax_errors(broken)
    assert preprocess("#if A\nint x;\n#else\nint y;\n#endif", frozenset({"A"})).split("\n") == ["", "int x;", "", "", "", ""]


def test_every_asset_has_a_unique_meta_file():
    unity_meta = _unity_meta()
    missing = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*")
        if unity_meta.imported(path, PACKAGE) and path.suffix != ".meta"
        and not path.with_name(path.name + ".meta").exists()
    ]
    assert not missing, f"run `make clients` to write .meta files for {missing}"
    guids = [
        line.split()[1]
        for meta in PACKAGE.rglob("*.meta")
        for line in meta.read_text().splitlines()
        if line.startswith("guid:")
    ]
    assert len(guids) == len(set(guids))


def test_package_manifest_and_assembly_definitions():
    manifest = json.loads((PACKAGE / "package.json").read_text())
    assert manifest["name"] == "com.worldsmith.client"
    for sample in manifest["samples"]:
        assert (PACKAGE / sample["path"]).is_dir()
    runtime = json.loads((PACKAGE / "Runtime" / "Worldsmith.Runtime.asmdef").read_text())
    editor = json.loads((PACKAGE / "Editor" / "Worldsmith.Editor.asmdef").read_text())
    assert editor["includePlatforms"] == ["Editor"]
    assert runtime["name"] in editor["references"]


def test_editor_tests_are_a_test_runner_assembly():
    tests = json.loads((EDITOR_TESTS / "Worldsmith.Editor.Tests.asmdef").read_text())
    runtime = json.loads((PACKAGE / "Runtime" / "Worldsmith.Runtime.asmdef").read_text())
    assert tests["includePlatforms"] == ["Editor"]
    editor = json.loads((PACKAGE / "Editor" / "Worldsmith.Editor.asmdef").read_text())
    wanted = {runtime["name"], editor["name"], "UnityEngine.TestRunner", "UnityEditor.TestRunner"}
    assert wanted <= set(tests["references"])
    assert "nunit.framework.dll" in tests["precompiledReferences"] and tests["overrideReferences"]
    assert tests["defineConstraints"] == ["UNITY_INCLUDE_TESTS"] and not tests["autoReferenced"]
    # The tests compile the #if WORLDSMITH_YAHH branches the way the runtime does.
    assert tests["versionDefines"] == runtime["versionDefines"]
    for assembly in ("Runtime", "Editor"):  # the tests use internal classes of both
        granted = re.findall(r'InternalsVisibleTo\("([^"]+)"\)', (PACKAGE / assembly / "AssemblyInfo.cs").read_text())
        assert granted == [tests["name"]], f"{assembly}/AssemblyInfo.cs must let the tests see its internals"


def test_editor_tests_call_rpcs_the_stubs_have():
    sources = "".join(p.read_text() for p in EDITOR_TESTS.glob("*.cs"))
    assert re.search(r"\[Test\]", sources)
    paths = set(re.findall(r'"(/worldsmith\.v1\.\w+/\w+)"', sources))
    assert paths and paths <= {rpc.path for rpc in csharp_client.rpcs()}
