"""Avatar faithfulness cases: each prompt's words checked on the DNA and the LOD 0 mesh.

Figures come from the GLB as an engine reads it (vertex positions per material, skin weights,
joints, blend-shape names) and from the skeleton's own measurements of the same DNA (where the
knee, the mouth and the shoulders are). Thresholds sit between what an unremarkable person measures
(`bench/faithfulness.py --domain avatars`, rows "a person") and what the adjective asks for.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from _faithfulness import outcome, requirement  # noqa: E402
from worldsmith._proto.worldsmith.v1 import avatar_pb2  # noqa: E402
from worldsmith.avatars import create, dna as dna_module, skeleton  # noqa: E402
from worldsmith.avatars.head import BLEND_SHAPES  # noqa: E402

VALIDATOR = ROOT / ".tools" / "node_modules" / "gltf-validator"
VALIDATE_SCRIPT = ROOT / "tests" / "avatars" / "validate_gltf.mjs"
SEED = 3

# Each case: the prompt and the checks its words imply (see CHECKS).
CASES = [
    ("short stocky dwarf blacksmith with a beard", ["dwarf", "short", "stocky", "beard", "apron", "male"]),
    ("young woman mage in a red robe", ["young", "female", "robe", "hair"]),
    ("tall slender elf archer", ["tall", "slender", "elf", "armour", "hair"]),
    ("old bearded wizard in a long blue robe", ["old", "beard", "robe", "hair"]),
    ("muscular knight in plate armour", ["muscular", "armour", "broad", "hair"]),
    ("thin old woman with grey hair", ["thin", "old", "female", "hair"]),
    ("young man with a goatee", ["young", "male", "beard", "hair"]),
    ("fat cheerful innkeeper with an apron", ["fat", "apron", "hair"]),
    ("broad shouldered warrior in leather armour with a handlebar moustache", ["broad", "armour", "moustache"]),
    ("princess in a long pink gown", ["female", "gown"]),
    ("short old dwarf with a long white beard", ["dwarf", "short", "old", "beard"]),
    ("tall man with a full black beard and a moustache", ["tall", "male", "beard", "moustache", "hair"]),
    ("woman in a green dress with long hair", ["female", "dress", "hair"]),
    ("a person", ["hair"]),
]
VALIDATED = len(CASES)  # cases whose LODs the Khronos validator reads (WORLDSMITH_FAITHFULNESS_VALIDATED: fewer)


class Mesh:
    """LOD 0 read back from its GLB: positions and weights per material, joint names, targets."""

    def __init__(self, glb: bytes):
        length = struct.unpack_from("<I", glb, 12)[0]
        self.gltf = json.loads(glb[20 : 20 + length])
        self.blob = glb[20 + length + 8 :]
        mesh = self.gltf["meshes"][0]
        self.target_names = mesh.get("extras", {}).get("targetNames", [])
        self.joint_names = [self.gltf["nodes"][j]["name"] for j in self.gltf["skins"][0]["joints"]]
        nodes = self.gltf["nodes"]
        parent = {child: i for i, node in enumerate(nodes) for child in node.get("children", [])}
        self.joints: dict[str, np.ndarray] = {}  # rest positions in the model's space
        for i, node in enumerate(nodes):
            position, j = np.zeros(3), i
            while j is not None:
                position += np.array(nodes[j].get("translation", [0.0, 0.0, 0.0]))
                j = parent.get(j)
            self.joints[node["name"]] = position
        self.positions: dict[str, np.ndarray] = {}
        self.weights: list[np.ndarray] = []
        for primitive in mesh["primitives"]:
            material = self.gltf["materials"][primitive["material"]]["name"]
            self.positions[material] = self._accessor(primitive["attributes"]["POSITION"])
            self.weights.append(self._accessor(primitive["attributes"]["WEIGHTS_0"]))

    def _accessor(self, index: int) -> np.ndarray:
        accessor = self.gltf["accessors"][index]
        view = self.gltf["bufferViews"][accessor["bufferView"]]
        width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[accessor["type"]]
        dtype = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}[accessor["componentType"]]
        values = np.frombuffer(self.blob, dtype, accessor["count"] * width, view.get("byteOffset", 0) + accessor.get("byteOffset", 0))
        values = values.reshape(accessor["count"], width).astype(np.float64)
        if accessor.get("normalized"):
            values /= np.iinfo(dtype).max
        return values

    def material(self, name: str) -> np.ndarray:
        return self.positions.get(name, np.zeros((0, 3)))


def _slice_width(points: np.ndarray, axis: int, y: float, band: float, x_limit: float = np.inf) -> float:
    """Extent along `axis` of the points within `band` of height y (and |x| under x_limit)."""
    near = points[(np.abs(points[:, 1] - y) < band) & (np.abs(points[:, 0]) < x_limit)]
    return float(np.ptp(near[:, axis])) if len(near) else 0.0


def _bust(skin: np.ndarray, y: float, band: float, H: float) -> float:
    """How far the chest at breast height stands forward of the upper chest above it."""
    front = lambda height: skin[(np.abs(skin[:, 1] - height) < band) & (np.abs(skin[:, 0]) < 0.09 * H), 2].max()  # noqa: E731
    return float(front(y - 0.01 * H) - front(y + 0.07 * H)) / H


def _saturation(color: avatar_pb2.AvatarParameters) -> tuple[float, float]:
    value = np.array([color.r, color.g, color.b])
    return float(value.max() - value.min()), float(value @ np.array([0.2126, 0.7152, 0.0722]))


def measure(result: avatar_pb2.AvatarResult) -> dict:
    """Every figure the checks read, from the DNA, its skeleton and the LOD 0 mesh."""
    params = result.dna.parameters
    p = skeleton.proportions(params, dna_module.stream(result.dna.seed, "shape"))
    mesh = Mesh(result.glb)
    skin, outfit, hair = mesh.material("Skin"), mesh.material("Outfit"), mesh.material("Hair")
    H = float(max(points[:, 1].max() for points in mesh.positions.values()))
    band = 0.008 * H
    center = np.array(p.head_center)
    h = p.head
    rx, ry, rz = p.head_radii
    mouth_y = center[1] - 0.285 * h
    chest_y = p.shoulder - 0.09 * H
    waist_y = p.hips + 0.3 * p.torso
    bust_y = p.hips + 0.66 * p.torso
    arm_x = p.shoulder_half + 0.5 * p.upper_arm
    # The scalp above the ears, away from the face: every skin point there should have hair over it.
    rel = skin - center
    on_head = np.linalg.norm(rel / np.array([rx, ry, rz]), axis=1) < 1.25
    scalp = skin[on_head & (rel[:, 1] > 0.12 * h) & (rel[:, 2] < 0.35 * rz)]
    gaps = cKDTree(hair).query(scalp)[0] > 0.09 * h if len(hair) and len(scalp) else np.ones(len(scalp), bool)
    face_front = center[2] + 0.5 * rz
    beard = hair[(hair[:, 1] < mouth_y - 0.04 * h) & (hair[:, 2] > face_front) & (np.abs(hair[:, 0]) < rx)]
    lip = hair[(hair[:, 1] > mouth_y) & (hair[:, 1] < mouth_y + 0.09 * h) & (hair[:, 2] > center[2] + 0.75 * rz)
               & (np.abs(hair[:, 0]) < 0.15 * h)]
    midline = outfit[np.abs(outfit[:, 0]) < 0.012 * H]
    body = np.concatenate([skin, outfit])
    return {
        "params": params,
        "height": H,
        "knee": p.knee,
        "ankle": p.ankle,
        "shoulder": p.shoulder,
        "chest_width": _slice_width(body, 0, chest_y, band) / H,
        "hip_width": _slice_width(skin, 0, p.hip_joint, band) / H,
        "waist_width": _slice_width(skin, 0, waist_y, band, p.shoulder_half) / H,
        "waist_depth": _slice_width(skin, 2, waist_y, band, p.shoulder_half) / H,
        "bust": _bust(skin, bust_y, band, H),
        "shoulder_width": float(np.linalg.norm(mesh.joints["LeftUpperArm"] - mesh.joints["RightUpperArm"])) / H,
        "arm_thickness": _slice_width(skin[np.abs(skin[:, 0] - arm_x) < band], 1, p.shoulder, 0.1 * H) / H,
        "head_ratio": h / H,
        "scalp_points": len(scalp),
        "scalp_gaps": int(gaps.sum()),
        "beard_points": len(beard),
        "beard_lowest": float((mouth_y - beard[:, 1].max()) / h) if len(beard) else 0.0,
        "moustache_points": len(lip),
        "midline_lowest": float(midline[:, 1].min()) if len(midline) else H,
        "outfit_top": float(outfit[np.abs(outfit[:, 0]) > p.shoulder_half * 0.9][:, 1].max()) if len(outfit) else 0.0,
        # Over two bands' height: a hanging apron has vertex rings only every couple of centimetres.
        "outfit_front": float(outfit[np.abs(outfit[:, 1] - waist_y) < 2.5 * band][:, 2].max()) if len(outfit) else 0.0,
        "skin_front": float(skin[np.abs(skin[:, 1] - waist_y) < 2.5 * band][:, 2].max()),
        "weight_error": float(max(np.abs(w.sum(axis=1) - 1.0).max() for w in mesh.weights)),
        "joints": mesh.joint_names,
        "targets": mesh.target_names,
        "lods": len(result.lods),
    }


def _kinds(params) -> set[str]:
    return {piece.kind for piece in params.outfit}


def check(name: str, m: dict) -> list[dict]:
    """The requirements one word of a prompt implies."""
    params, H = m["params"], m["height"]
    if name == "dwarf":
        return [requirement("dwarf body plan", params.body_plan == "dwarf", params.body_plan, "dwarf"),
                requirement("dwarf height", H < 1.45, round(H, 2), "< 1.45 m"),
                requirement("dwarf head ratio", m["head_ratio"] > 0.15, round(m["head_ratio"], 3), "> 0.15 of stature")]
    if name == "elf":
        return [requirement("elf body plan and ears", params.body_plan == "elf" and "elf_ears" in params.accessories,
                            f"{params.body_plan}, {'elf_ears' in params.accessories}", "elf, pointed ears")]
    if name == "short":
        return [requirement("short", H < 1.62 or (params.body_plan == "dwarf" and H < 1.35), round(H, 2), "< 1.62 m (dwarf < 1.35 m)")]
    if name == "tall":
        return [requirement("tall", H > 1.84, round(H, 2), "> 1.84 m")]
    if name in ("stocky", "broad"):
        chest = 0.225 if name == "stocky" else 0.215
        return [requirement(f"{name}: shoulder joints' width / height", m["shoulder_width"] > 0.26, round(m["shoulder_width"], 3), "> 0.26"),
                requirement(f"{name}: chest width / height", m["chest_width"] > chest, round(m["chest_width"], 3), f"> {chest}")]
    if name in ("slender", "thin"):
        return [requirement(f"{name}: waist width / height", m["waist_width"] < 0.165, round(m["waist_width"], 3), "< 0.165")]
    if name == "fat":
        return [requirement("fat: waist depth / height", m["waist_depth"] > 0.13, round(m["waist_depth"], 3), "> 0.13")]
    if name == "muscular":
        return [requirement("muscular: upper arm thickness / height", m["arm_thickness"] > 0.068, round(m["arm_thickness"], 3), "> 0.068")]
    if name == "female":
        ratio = m["hip_width"] / m["shoulder_width"]
        return [requirement("female figure: hip / shoulder width", ratio > 1.02, round(ratio, 2), "> 1.02"),
                requirement("female figure: bust", m["bust"] > 0.015, round(m["bust"], 3), "> 0.015 of stature")]
    if name == "male":
        ratio = m["hip_width"] / m["shoulder_width"]
        return [requirement("male figure: hip / shoulder width", ratio < 0.99, round(ratio, 2), "< 0.99"),
                requirement("male figure: no bust", m["bust"] < 0.01, round(m["bust"], 3), "< 0.01 of stature")]
    if name == "young":
        return [requirement("young", params.age <= 30, round(params.age), "<= 30 years")]
    if name == "old":
        spread, _ = _saturation(params.hair_color)
        return [requirement("old", params.age >= 60, round(params.age), ">= 60 years"),
                requirement("grey hair", spread < 0.08, round(spread, 3), "channel spread < 0.08 (grey)")]
    if name == "beard":
        return [requirement("beard in the DNA", params.beard_style not in ("", "none"), params.beard_style, "a beard style"),
                requirement("beard below the mouth on the face", m["beard_points"] >= 30, m["beard_points"], ">= 30 vertices")]
    if name == "moustache":
        return [requirement("moustache in the DNA", params.moustache_style not in ("", "none"), params.moustache_style, "a moustache style"),
                requirement("moustache over the upper lip", m["moustache_points"] >= 20, m["moustache_points"], ">= 20 vertices")]
    if name in ("robe", "dress", "gown"):
        reach = m["knee"] - (0.2 if name == "dress" else 0.6) * (m["knee"] - m["ankle"])
        return [requirement(f"{name} in the DNA", name in _kinds(params), sorted(_kinds(params)), name),
                requirement(f"{name} reaches {'below the knee' if name == 'dress' else 'the ankles'}", m["midline_lowest"] < reach, round(m["midline_lowest"], 2),
                            f"< {reach:.2f} m")]
    if name == "armour":
        kinds = _kinds(params) & {"plate_armour", "leather_armour"}
        lift = (m["outfit_top"] - m["shoulder"]) / H
        return [requirement("armour in the DNA", bool(kinds), sorted(kinds), "plate or leather armour"),
                requirement("shoulder guards stand above the shoulders", lift > 0.03, round(lift, 3), "> 0.03 of stature")]
    if name == "apron":
        clear = (m["outfit_front"] - m["skin_front"]) / H
        return [requirement("apron in the DNA", "apron" in _kinds(params), sorted(_kinds(params)), "apron"),
                requirement("apron hangs in front of the belly", clear > 0.012, round(clear, 3), "> 0.012 of stature")]
    if name == "hair":
        if params.hair_style == "bald":
            return []
        return [requirement("hair covers the scalp above the ears", m["scalp_gaps"] == 0 and m["scalp_points"] > 50,
                            f"{m['scalp_gaps']} of {m['scalp_points']} bare", "0 bare")]
    raise ValueError(f"no check for {name!r}")


def validity(m: dict) -> list[dict]:
    """What every avatar keeps: weights, the Godot humanoid bones, the blend shapes and LODs."""
    return [
        requirement("skin weights sum to 1", m["weight_error"] < 1e-3, f"{m['weight_error']:.1e}", "< 1e-3"),
        requirement("Godot humanoid bone names", m["joints"] == list(skeleton.NAMES), "exact" if m["joints"] == list(skeleton.NAMES) else "differ", "exact"),
        requirement("blend shapes", m["targets"] == list(BLEND_SHAPES), f"{len(m['targets'])}", f"{len(BLEND_SHAPES)}, visemes and blinks"),
        requirement("LODs", m["lods"] == 2, m["lods"] + 1, "3 levels"),
    ]


def validator_errors(result: avatar_pb2.AvatarResult) -> int | None:
    """Khronos glTF validator errors over every LOD (None when the validator is not installed)."""
    node = shutil.which("node")
    if node is None or not VALIDATOR.exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, data in enumerate([result.glb] + [lod.glb for lod in result.lods]):
            path = Path(folder) / f"lod{i}.glb"
            path.write_bytes(data)
            paths.append(str(path))
        run = subprocess.run([node, str(VALIDATE_SCRIPT), str(VALIDATOR), *paths], capture_output=True, text=True, timeout=300, check=True)
    return sum(report["issues"]["numErrors"] for report in json.loads(run.stdout))


def run_case(prompt: str, words: list[str], validate: bool) -> dict:
    result = create(avatar_pb2.CreateAvatarRequest(description=prompt, seed=SEED))
    m = measure(result)
    requirements = [r for word in words for r in check(word, m)] + validity(m)
    if validate:
        errors = validator_errors(result)
        if errors is not None:
            requirements.append(requirement("glTF validator errors", errors == 0, errors, "0"))
    return outcome("avatars", prompt, requirements)


def cases() -> list[dict]:
    validated = int(os.environ.get("WORLDSMITH_FAITHFULNESS_VALIDATED", VALIDATED))
    return [run_case(prompt, words, i < validated) for i, (prompt, words) in enumerate(CASES)]
