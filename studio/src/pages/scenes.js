// Scenes: generate a room, dungeon or terrain; the GLB with nodes coloured by tag, the walk grid, the report.
import * as THREE from "three";
import { call, scenes, showFailure } from "../api.js";
import { Lane } from "../gen/worldsmith/v1/common_pb.js";
import { SceneKind } from "../gen/worldsmith/v1/scene_pb.js";
import { startJob } from "../jobs.js";
import { Viewer } from "../viewer.js";
import { download, field, h } from "../ui.js";

// Extents in metres (x width, y height, z depth) each kind starts from; terrain is square.
const DEFAULT_BOUNDS = { INTERIOR: [8, 3, 6], DUNGEON: [32, 3, 32], TERRAIN: [64, 16, 64] };

/** A stable colour per tag. */
const colourOf = (tag) => {
  let hash = 0;
  for (const char of tag) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return new THREE.Color().setHSL((hash % 360) / 360, 0.55, 0.55);
};

function walkGridOverlay(grid) {
  const data = new Uint8Array(grid.width * grid.depth * 4);
  grid.cells.forEach((cell, i) => data.set(cell ? [40, 220, 90, 110] : [230, 50, 50, 110], i * 4));
  const texture = new THREE.DataTexture(data, grid.width, grid.depth);
  texture.magFilter = THREE.NearestFilter;
  texture.needsUpdate = true;
  const plane = new THREE.Mesh(new THREE.PlaneGeometry(grid.width * grid.cellSize, grid.depth * grid.cellSize),
    new THREE.MeshBasicMaterial({ map: texture, transparent: true, depthWrite: false, side: THREE.DoubleSide }));
  plane.rotation.x = Math.PI / 2; // rows run along +z
  plane.position.set(grid.origin.x + (grid.width * grid.cellSize) / 2, grid.origin.y + 0.02, grid.origin.z + (grid.depth * grid.cellSize) / 2);
  plane.name = "walk grid";
  return plane;
}

/** Relations the plan asked of each tag, from plan_json. */
function relationsByTag(planJson) {
  const found = {};
  try {
    for (const item of JSON.parse(planJson).items ?? []) {
      found[item.tag] = item.relations.map((relation) => `${relation.kind.replace("_", " ")} ${relation.target}`);
    }
  } catch { /* no plan (terrain): no relations */ }
  return found;
}

export default {
  title: "Scenes",
  mount(root) {
    let viewer = null;
    let overlay = null;
    const kind = h("select", { id: "scene-kind" }, ...["INTERIOR", "DUNGEON", "TERRAIN"].map((name) => h("option", { value: name }, name.toLowerCase())));
    const prompt = h("input", { type: "text", id: "scene-prompt", value: "a tavern with a bar and three tables" });
    const seed = h("input", { type: "number", id: "scene-seed", value: 1, min: 0 });
    const bounds = ["x", "y", "z"].map((axis) => h("input", { type: "number", id: `scene-bounds-${axis}`, step: 0.5, min: 0 }));
    const setBounds = () => bounds.forEach((input, i) => { input.value = DEFAULT_BOUNDS[kind.value][i]; });
    kind.addEventListener("change", setBounds);
    setBounds();
    const generate = h("button", { type: "submit", id: "generate-scene" }, "Generate");
    const bar = h("progress", { id: "scene-progress", max: 1, value: 0 });
    const progressText = h("div", { class: "muted" });
    const status = h("div", { class: "error", id: "scene-status" });
    const canvas = h("canvas", { class: "viewer", id: "scene-canvas" });
    const gridToggle = h("input", { type: "checkbox", id: "walk-grid", checked: true, onchange: () => { if (overlay) overlay.visible = gridToggle.checked; } });
    const nodes = h("div", { class: "scroll", id: "scene-nodes" });
    const report = h("table", { id: "quality-report" });
    const downloads = h("div");

    async function showResult(result) {
      viewer ??= new Viewer(canvas);
      const group = new THREE.Group();
      const tags = Object.fromEntries(result.graph.nodes.map((node) => [node.id, node.tag]));
      if (result.glbPreview.length) {
        const gltf = await Viewer.loadGlb(result.glbPreview);
        gltf.scene.traverse((object) => {
          const tag = tags[object.name] ?? tags[object.parent?.name];
          // The preview's boxes carry no normals: flat shading lights them from their faces. Walls are see-through.
          if (object.isMesh && tag) {
            object.material = new THREE.MeshStandardMaterial({ color: colourOf(tag), roughness: 0.8, flatShading: true,
              transparent: tag === "wall", opacity: tag === "wall" ? 0.3 : 1, side: THREE.DoubleSide });
          }
        });
        group.add(gltf.scene);
      }
      if (result.walkability?.width) group.add(overlay = walkGridOverlay(result.walkability));
      overlay && (overlay.visible = gridToggle.checked);
      viewer.show(group);
      const relations = relationsByTag(result.planJson);
      nodes.replaceChildren(h("table", {}, h("tr", {}, h("th", {}, "node"), h("th", {}, "tag"), h("th", {}, "parent"), h("th", {}, "relations")),
        ...result.graph.nodes.map((node) => h("tr", {},
          h("td", {}, node.id), h("td", {}, h("span", { class: "swatch", style: `background:#${colourOf(node.tag).getHexString()}` }), node.tag),
          h("td", {}, node.parentId), h("td", {}, (relations[node.tag] ?? []).join(", "))))));
      const quality = result.quality;
      report.replaceChildren(...[
        ["objects placed", `${quality.objectsPlaced} of ${quality.objectsRequested}`],
        ["relations satisfied", `${quality.relationsSatisfied} of ${quality.relationsRequested}`],
        ["collisions", quality.collisions], ["out of bounds", quality.outOfBounds], ["blocked doors", quality.blockedDoors],
        ["reachable floor", `${(quality.reachableFraction * 100).toFixed(0)} %`],
        ...quality.namedElements.map((element) => [`"${element.word}" (${element.tag})`, `${element.placed} of ${element.requested} ${element.note}`]),
      ].map(([name, value]) => h("tr", {}, h("td", {}, name), h("td", {}, String(value)))));
      downloads.replaceChildren(h("button", { type: "button", onclick: () => download("scene.glb", result.glbPreview, "model/gltf-binary") }, "Download GLB"));
    }

    const form = h("form", { class: "panel" }, field("Kind", kind, "kind"), field("Prompt", prompt, "prompt"), field("Seed", seed, "seed"),
      field("Bounds in metres (x, y, z)", h("div", { class: "row" }, ...bounds), "bounds"), generate, status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      generate.disabled = true;
      const job = startJob(`Scene: ${prompt.value}`, "interactive");
      try {
        const [x, y, z] = bounds.map((input) => Number(input.value));
        const request = { kind: SceneKind[kind.value], prompt: prompt.value, seed: BigInt(seed.value || 0), bounds: { x, y, z }, lane: Lane.INTERACTIVE };
        await call(async () => {
          for await (const response of scenes.generateScene(request, { signal: job.signal })) {
            const { case: event, value } = response.event;
            if (event === "queued") progressText.textContent = `Queue position ${value.position}, ETA ${value.etaSeconds.toFixed(1)} s`;
            else if (event === "progress") {
              bar.max = value.total || 1;
              bar.value = value.step;
              progressText.textContent = `${value.stage}: ${value.step} of ${value.total}`;
            } else if (event === "result") {
              bar.value = bar.max;
              progressText.textContent = "Done";
              await showResult(value);
            }
            job.update(progressText.textContent);
          }
        });
      } catch (error) {
        showFailure(form, status, error);
      } finally {
        generate.disabled = false;
        job.finish();
      }
    });
    root.append(h("div", { class: "columns wide" }, h("div", {}, form, h("div", { class: "panel" }, h("h3", {}, "Quality"), report)),
      h("div", {}, bar, progressText, canvas, h("label", {}, gridToggle, " Walk grid overlay (green: walkable)"), downloads, h("h3", {}, "Nodes"), nodes)));
    return () => viewer?.dispose();
  },
};
