// Avatars: generate one; orbit it, drive each viseme and blink, switch LODs, read the bones, download.
import { call, describe, avatars } from "../api.js";
import { Lane } from "../gen/worldsmith/v1/common_pb.js";
import { startJob } from "../jobs.js";
import { rememberAvatar } from "../avatar_store.js";
import { Viewer } from "../viewer.js";
import { download, field, h } from "../ui.js";

function boneTree(bone) {
  return h("li", {}, bone.name, bone.children.some((child) => child.isBone)
    ? h("ul", {}, ...bone.children.filter((child) => child.isBone).map(boneTree)) : null);
}

export default {
  title: "Avatars",
  mount(root) {
    let viewer = null;
    let result = null;
    let morphs = [];
    const description = h("input", { type: "text", id: "avatar-description", value: "a tall elf ranger in a green cloak" });
    const seed = h("input", { type: "number", id: "avatar-seed", value: 1, min: 0 });
    const textureSize = h("input", { type: "number", id: "avatar-texture-size", value: 256, min: 64, step: 64 });
    const generate = h("button", { type: "submit", id: "generate-avatar" }, "Generate");
    const bar = h("progress", { id: "avatar-progress", max: 1, value: 0 });
    const progressText = h("div", { class: "muted" });
    const status = h("div", { class: "error", id: "avatar-status" });
    const canvas = h("canvas", { class: "viewer", id: "avatar-canvas" });
    const lod = h("select", { id: "avatar-lod" });
    const sliders = h("div", { id: "blend-shapes", class: "scroll" });
    const bones = h("div", { class: "tree", id: "bones" });
    const downloads = h("div");

    // LOD 0 (with every blend shape) and then each reduced level the result carries.
    const levels = () => [{ label: "LOD 0: full, every blend shape", glb: result.glb },
      ...result.lods.map((item, i) => ({ label: `LOD ${i + 1}: ${item.triangles} triangles (${item.ratio} of the full mesh)`, glb: item.glb }))];

    async function showLod(index) {
      const gltf = await Viewer.loadGlb(levels()[index].glb);
      viewer ??= new Viewer(canvas);
      viewer.show(gltf.scene);
      morphs = [];
      let rootBone = null;
      gltf.scene.traverse((object) => {
        if (object.morphTargetDictionary) morphs.push(object);
        if (object.isBone && !object.parent?.isBone && !rootBone) rootBone = object;
      });
      sliders.querySelectorAll("input").forEach((slider) => slider.dispatchEvent(new Event("input")));
      bones.replaceChildren(rootBone ? h("ul", {}, boneTree(rootBone)) : "no skeleton");
    }

    function setWeight(name, weight) {
      for (const mesh of morphs) {
        const index = mesh.morphTargetDictionary[name];
        if (index !== undefined) mesh.morphTargetInfluences[index] = weight;
      }
    }

    function showResult() {
      lod.replaceChildren(...levels().map((level, i) => h("option", { value: i }, level.label)));
      sliders.replaceChildren(...result.blendShapes.map((name) => h("label", {}, `${name} `,
        h("input", { type: "range", min: 0, max: 1, step: 0.05, value: 0, "data-shape": name, oninput: (event) => setWeight(name, Number(event.target.value)) }))));
      downloads.replaceChildren(
        h("button", { type: "button", onclick: () => download("avatar.glb", result.glb, "model/gltf-binary") }, "Download GLB"),
        h("button", { type: "button", onclick: () => download("humanoid.json", result.humanoidJson, "application/json") }, "Humanoid map"),
        h("button", { type: "button", onclick: () => download("unity_human_description.json", result.unityHumanDescriptionJson, "application/json") }, "Unity HumanDescription"));
      return showLod(0);
    }
    lod.addEventListener("change", () => showLod(Number(lod.value)).catch((error) => { status.textContent = String(error); }));

    const form = h("form", { class: "panel" }, field("Description", description, "description"), field("Seed", seed, "seed"),
      field("Texture size", textureSize, "texture_size"), generate, status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      generate.disabled = true;
      const job = startJob(`Avatar: ${description.value}`, "interactive");
      try {
        const request = { description: description.value, seed: BigInt(seed.value || 0), textureSize: Number(textureSize.value), lane: Lane.INTERACTIVE };
        await call(async () => {
          for await (const response of avatars.createAvatar(request, { signal: job.signal })) {
            const { case: kind, value } = response.event;
            if (kind === "queued") progressText.textContent = `Queue position ${value.position}, ETA ${value.etaSeconds.toFixed(1)} s`;
            else if (kind === "progress") {
              bar.max = value.total || 1;
              bar.value = value.step;
              progressText.textContent = `${value.stage}: ${value.step} of ${value.total}`;
            } else if (kind === "result") {
              bar.value = bar.max;
              progressText.textContent = "Done";
              result = value;
              rememberAvatar(value.glb);
              await showResult();
            }
            job.update(progressText.textContent);
          }
        });
      } catch (error) {
        status.textContent = describe(error);
      } finally {
        generate.disabled = false;
        job.finish();
      }
    });
    root.append(h("div", { class: "columns wide" },
      h("div", {}, form, h("div", { class: "panel" }, h("h3", {}, "Visemes and blinks"), sliders)),
      h("div", {}, bar, progressText, canvas, field("Level of detail", lod), downloads, h("h3", {}, "Bones"), bones)));
    return () => viewer?.dispose();
  },
};
