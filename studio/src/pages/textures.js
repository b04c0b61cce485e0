// Textures: prompt and options, queue position and progress with previews, the result as a PBR material.
import * as THREE from "three";
import { call, describe, fieldViolations, textures } from "../api.js";
import { Lane } from "../gen/worldsmith/v1/common_pb.js";
import { TextureMap, Tiling } from "../gen/worldsmith/v1/texture_pb.js";
import { startJob } from "../jobs.js";
import { checkUploadSize } from "../status.js";
import { Viewer } from "../viewer.js";
import { download, field, h, pngUrl, readFile, showViolations } from "../ui.js";

const MAPS = ["NORMAL", "ROUGHNESS", "AMBIENT_OCCLUSION", "METALLIC", "HEIGHT"];
const mapName = (value) => TextureMap[value].toLowerCase();

function material(images, tiled) {
  const loader = new THREE.TextureLoader();
  const texture = (image, colour) => {
    const map = loader.load(pngUrl(image.png));
    map.wrapS = map.wrapT = THREE.RepeatWrapping;
    map.repeat.set(tiled ? 2 : 1, tiled ? 2 : 1);
    if (colour) map.colorSpace = THREE.SRGBColorSpace;
    return map;
  };
  const byMap = Object.fromEntries(images.map((image) => [image.map, image]));
  const parameters = { roughness: 1, metalness: 0 };
  if (byMap[TextureMap.ALBEDO]) parameters.map = texture(byMap[TextureMap.ALBEDO], true);
  if (byMap[TextureMap.NORMAL]) parameters.normalMap = texture(byMap[TextureMap.NORMAL]);
  if (byMap[TextureMap.ROUGHNESS]) parameters.roughnessMap = texture(byMap[TextureMap.ROUGHNESS]);
  if (byMap[TextureMap.METALLIC]) { parameters.metalnessMap = texture(byMap[TextureMap.METALLIC]); parameters.metalness = 1; }
  if (byMap[TextureMap.AMBIENT_OCCLUSION]) parameters.aoMap = texture(byMap[TextureMap.AMBIENT_OCCLUSION]);
  if (byMap[TextureMap.HEIGHT]) { parameters.bumpMap = texture(byMap[TextureMap.HEIGHT]); parameters.bumpScale = 2; }
  return new THREE.MeshStandardMaterial(parameters);
}

export default {
  title: "Textures",
  mount(root) {
    let viewer = null;
    let result = null;
    const prompt = h("input", { type: "text", id: "texture-prompt", value: "mossy cobblestone" });
    const model = h("select", { id: "texture-model" }, h("option", { value: "" }, "server default"));
    const preset = h("select", { id: "texture-preset" }, h("option", { value: "" }, "from the prompt"));
    const size = h("input", { type: "number", id: "texture-size", value: 256, step: 8, min: 8 });
    const seed = h("input", { type: "number", id: "texture-seed", value: 0, min: 0 });
    const steps = h("input", { type: "number", id: "texture-steps", value: 0, min: 0 });
    const previewEvery = h("input", { type: "number", id: "texture-preview-every", value: 1, min: 0 });
    const mapBoxes = MAPS.map((name) => h("input", { type: "checkbox", value: name, checked: name !== "HEIGHT" }));
    const initImage = h("input", { type: "file", id: "texture-init", accept: "image/png,image/jpeg" });
    const generate = h("button", { type: "submit", id: "generate-texture" }, "Generate");
    const bar = h("progress", { id: "texture-progress", max: 1, value: 0 });
    const progressText = h("div", { id: "texture-progress-text", class: "muted" });
    const previews = h("div", { class: "previews", id: "texture-previews" });
    const status = h("div", { class: "error", id: "texture-status" });
    const tiled = h("input", { type: "checkbox", id: "texture-tiling" });
    const canvas = h("canvas", { class: "viewer", id: "texture-canvas" });
    const seams = h("table", { id: "seam-scores" });
    const downloads = h("div", { id: "texture-downloads" });

    const showResult = () => {
      const variation = result.variations[0];
      const surface = material(variation.images, tiled.checked);
      const group = new THREE.Group();
      const sphere = new THREE.Mesh(new THREE.SphereGeometry(0.8, 64, 32), surface);
      sphere.position.x = -1;
      const plane = new THREE.Mesh(new THREE.PlaneGeometry(1.6, 1.6), surface);
      plane.position.x = 1;
      group.add(sphere, plane);
      viewer ??= new Viewer(canvas);
      viewer.show(group);
      seams.replaceChildren(h("tr", {}, h("th", {}, "map"), h("th", {}, "seam x"), h("th", {}, "seam y")),
        ...variation.images.map((image) => h("tr", {}, h("td", {}, mapName(image.map)),
          h("td", {}, image.seam?.x.toFixed(2) ?? "-"), h("td", {}, image.seam?.y.toFixed(2) ?? "-"))));
      const files = variation.images.map((image) => [`${prompt.value.replace(/\W+/g, "_")}_${mapName(image.map)}.png`, image.png]);
      downloads.replaceChildren(h("button", { type: "button", id: "download-set", onclick: () => {
        files.forEach(([name, png]) => download(name, png, "image/png"));
        download("recipe.json", JSON.stringify(variation.recipe, (k, v) => (typeof v === "bigint" ? v.toString() : v), 2), "application/json");
      } }, "Download set"), h("span", { class: "muted" }, ` ${result.generationSeconds.toFixed(2)} s${result.cached ? " (cached)" : ""}`));
    };
    tiled.addEventListener("change", () => result && showResult());

    const form = h("form", { class: "panel" },
      field("Prompt", prompt, "prompt"), field("Model", model, "model"), field("Procedural preset", preset, "preset"),
      h("div", { class: "row" }, field("Size (px)", size, "width"), field("Seed (0: random)", seed, "seed")),
      h("div", { class: "row" }, field("Steps (0: default)", steps, "steps"), field("Preview every N steps", previewEvery, "preview_every")),
      h("label", {}, "Maps besides albedo"), h("div", {}, ...mapBoxes.map((box) => h("label", {}, box, ` ${box.value.toLowerCase()}`))),
      field("Init image (img2img, optional)", initImage, "init_image"), generate, status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      previews.replaceChildren();
      bar.value = 0;
      const job = startJob(`Texture: ${prompt.value}`, "interactive");
      generate.disabled = true;
      try {
        const file = initImage.files[0];
        if (file) checkUploadSize(file);
        const request = {
          prompt: prompt.value, model: model.value, preset: preset.value, width: Number(size.value), height: Number(size.value),
          seed: BigInt(seed.value || 0), steps: Number(steps.value), previewEvery: Number(previewEvery.value), tiling: Tiling.BOTH,
          maps: [TextureMap.ALBEDO, ...mapBoxes.filter((box) => box.checked).map((box) => TextureMap[box.value])],
          initImage: file ? await readFile(file) : new Uint8Array(), lane: Lane.INTERACTIVE,
        };
        await call(async () => {
          for await (const response of textures.generateTexture(request, { signal: job.signal })) {
            const { case: kind, value } = response.event;
            if (kind === "queued") {
              progressText.textContent = `Queue position ${value.position}, ETA ${value.etaSeconds.toFixed(1)} s`;
              job.update(progressText.textContent);
            } else if (kind === "progress") {
              bar.max = value.total || 1;
              bar.value = value.step;
              progressText.textContent = `${value.stage}: step ${value.step} of ${value.total}`;
              job.update(progressText.textContent);
              if (value.previewPng.length) previews.append(h("img", { src: pngUrl(value.previewPng), title: `step ${value.step}` }));
            } else if (kind === "result") {
              bar.max = 1;
              bar.value = 1;
              progressText.textContent = "Done";
              result = value;
              showResult();
            }
          }
        });
      } catch (error) {
        const violations = error.rawMessage !== undefined ? fieldViolations(error) : [];
        showViolations(form, violations, status);
        if (!violations.length) status.textContent = error.rawMessage !== undefined ? describe(error) : error.message;
      } finally {
        generate.disabled = false;
        job.finish();
      }
    });

    root.append(h("div", { class: "columns wide" }, form,
      h("div", {}, bar, progressText, previews, canvas, h("label", {}, tiled, " Tile 2x2"), seams, downloads)));
    call(() => textures.listTextureBackends({})).then((backends) => {
      model.append(...backends.models.map((name) => h("option", { value: name }, name)), h("option", { value: "procedural" }, "procedural"));
      preset.append(...backends.presets.map((item) => h("option", { value: item.name }, item.name)));
    }).catch((error) => { status.textContent = describe(error); });
    return () => viewer?.dispose();
  },
};
