// Play: chat with a character over Say; text streams in, emotions and action calls show, calls are answered.
import { call, describe, dialogue } from "../api.js";
import { startJob } from "../jobs.js";
import { Lane } from "../gen/worldsmith/v1/common_pb.js";
import * as THREE from "three";
import { latestAvatar } from "../avatar_store.js";
import { Speaker } from "../speech.js";
import { checkUploadSize } from "../status.js";
import { Viewer } from "../viewer.js";
import { download, field, h, readFile } from "../ui.js";

export default {
  title: "Play",
  mount(root) {
    let session = null;
    const characterSelect = h("select", { id: "play-character" });
    const seed = h("input", { type: "number", id: "play-seed", value: 0, min: 0 });
    const maxTokens = h("input", { type: "number", id: "play-max-tokens", value: 0, min: 0 });
    const chat = h("div", { class: "chat", id: "chat" });
    const utterance = h("input", { type: "text", id: "utterance", placeholder: "Say something…" });
    const sendButton = h("button", { type: "submit", id: "send" }, "Send");
    const memory = h("div", { class: "panel scroll", id: "memory" });
    const status = h("div", { class: "error", id: "play-status" });
    const sessionLabel = h("div", { class: "muted", id: "session-id" }, "No session yet.");
    const importInput = h("input", { type: "file", id: "session-import" });
    const speak = h("input", { type: "checkbox", id: "play-speak" });
    const face = h("canvas", { class: "viewer face", id: "play-face", hidden: true });
    let speaker = null;
    let viewer = null;
    let mouths = [];
    let animating = true;

    // The last avatar made on the Avatars page, framed on its head; its viseme shapes follow the speech.
    async function showFace() {
      const glb = latestAvatar();
      if (!glb || viewer) return;
      face.hidden = false;
      viewer = new Viewer(face);
      const gltf = await Viewer.loadGlb(glb);
      viewer.show(gltf.scene);
      gltf.scene.traverse((object) => { if (object.morphTargetDictionary) mouths.push(object); });
      const head = gltf.scene.getObjectByName("Head");
      if (head) {
        const at = head.getWorldPosition(new THREE.Vector3()).add(new THREE.Vector3(0, 0.08, 0));
        viewer.controls.target.copy(at);
        viewer.camera.position.copy(at).add(new THREE.Vector3(0, 0, 0.7));
      }
      const lipSync = () => {
        if (!animating) return;
        const shapes = speaker ? speaker.mouth() : {};
        face.dataset.mouth = Object.keys(shapes).join(" ");
        for (const mesh of mouths) {
          for (const [name, index] of Object.entries(mesh.morphTargetDictionary)) {
            if (name.startsWith("viseme_")) mesh.morphTargetInfluences[index] = shapes[name] ?? 0;
          }
        }
        requestAnimationFrame(lipSync);
      };
      lipSync();
    }
    speak.addEventListener("change", () => { if (speak.checked) showFace().catch((error) => { status.textContent = String(error); }); });

    const showSession = (value) => {
      session = value;
      // An imported session brings its own character to the picker, so the next line goes to someone in it.
      if (session.characterIds.length && !session.characterIds.includes(characterSelect.value)) {
        characterSelect.value = session.characterIds[0];
      }
      sessionLabel.textContent = `Session ${session.id} with ${session.characterIds.join(", ")}`;
      memory.replaceChildren(
        h("h3", {}, "Memory"),
        h("div", {}, h("strong", {}, "Summary: "), session.summary || "(none yet)"),
        h("div", {}, h("strong", {}, "World state: "), Object.entries(session.worldState).map(([k, v]) => `${k}=${v}`).join(", ") || "(empty)"),
        h("h3", {}, "History"),
        h("ol", { id: "history" }, ...session.turns.map((turn) => h("li", {}, `${turn.speaker}: ${turn.text}${turn.interrupted ? " (interrupted)" : ""}`))));
    };
    const refreshSession = async () => showSession((await call(() => dialogue.getSession({ sessionId: session.id }))).session);

    async function newSession() {
      const { session: created } = await call(() => dialogue.createSession({ playerId: "designer", characterIds: [characterSelect.value] }));
      chat.replaceChildren();
      showSession(created);
    }

    function answerForm(actionCall) {
      const success = h("input", { type: "checkbox", checked: true, class: "answer-success" });
      const result = h("input", { type: "text", class: "answer-result", placeholder: '{"given": true}' });
      const form = h("form", { class: "action-call" },
        h("div", {}, h("strong", {}, `Action call: ${actionCall.name}`), " ", h("code", {}, actionCall.argumentsJson)),
        h("label", {}, success, " succeeded"), result, h("button", { type: "submit", class: "answer" }, "Answer"));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const outcome = success.checked ? "succeeded" : "failed";
        form.querySelectorAll("input, button").forEach((element) => { element.disabled = true; });
        say({ event: { description: `The game reports that ${actionCall.name} ${actionCall.argumentsJson} ${outcome}${result.value ? `: ${result.value}` : "."}` } },
          `answered ${actionCall.name}: ${outcome}`);
      });
      return form;
    }

    async function say(input, shown) {
      if (!session) {
        try {
          await newSession();
        } catch (error) {
          status.textContent = describe(error);
          return;
        }
      }
      chat.append(h("div", { class: "bubble player" }, shown));
      const reply = h("div", { class: "bubble npc" });
      const emotion = h("span", { class: "chip", hidden: true });
      const text = h("span", { class: "reply-text" });
      reply.append(emotion, text);
      chat.append(reply);
      sendButton.disabled = true;
      const job = startJob(`Turn: ${shown.slice(0, 40)}`, "realtime");
      if (speak.checked) speaker ??= new Speaker();
      let heard = 0;
      const request = { sessionId: session.id, ...input, lane: Lane.REALTIME, speech: { enabled: speak.checked },
        options: { seed: BigInt(seed.value || 0), maxNewTokens: Number(maxTokens.value || 0) } };
      try {
        await call(async () => {
          text.textContent = "";
          for await (const response of dialogue.say(request, { signal: job.signal })) {
            const { case: kind, value } = response.event;
            if (kind === "queued") job.update(`queued at ${value.position}, ETA ${value.etaSeconds.toFixed(1)} s`);
            else if (kind === "textDelta") { text.textContent += value.text; job.update("speaking"); }
            else if (kind === "emotion") { emotion.hidden = false; emotion.textContent = value.emotion; }
            else if (kind === "actionCall") chat.append(answerForm(value));
            else if (kind === "audio") { speaker.play(value); reply.dataset.audioChunks = String(++heard); }
            else if (kind === "viseme") { speaker.viseme(value); reply.dataset.visemes = String(Number(reply.dataset.visemes ?? 0) + 1); }
            else if (kind === "turnCompleted") reply.dataset.done = "true";
            chat.scrollTop = chat.scrollHeight;
          }
        });
        await refreshSession();
      } catch (error) {
        status.textContent = describe(error);
      } finally {
        job.finish();
        sendButton.disabled = false;
      }
    }

    const form = h("form", { class: "row" }, utterance, sendButton);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!utterance.value.trim()) return;
      status.textContent = "";
      const words = utterance.value;
      utterance.value = "";
      await say({ utterance: words, characterId: characterSelect.value }, words);
    });
    importInput.addEventListener("change", async () => {
      try {
        const file = importInput.files[0];
        checkUploadSize(file);
        const { session: imported } = await call(async () => dialogue.importSession({ blob: await readFile(file) }));
        chat.replaceChildren(...imported.turns.map((turn) =>
          h("div", { class: `bubble ${turn.speaker === "player" ? "player" : "npc"}` }, turn.text)));
        showSession(imported);
      } catch (error) {
        status.textContent = error.rawMessage ? describe(error) : error.message;
      }
    });

    root.append(h("div", { class: "columns wide" },
      h("div", { class: "panel" },
        field("Character", characterSelect),
        h("div", { class: "row" }, field("Seed (0: random)", seed), field("Max new tokens (0: default)", maxTokens)),
        h("label", {}, speak, " Speak replies (lip-synced on the last avatar made on the Avatars page)"),
        h("button", { type: "button", id: "new-session", onclick: () => newSession().catch((e) => { status.textContent = describe(e); }) }, "New session"),
        h("button", { type: "button", id: "export-session", onclick: async () => {
          if (!session) { status.textContent = "No session to export yet: start one."; return; }
          try {
            const { blob } = await call(() => dialogue.exportSession({ sessionId: session.id }));
            download(`${session.id}.session`, blob);
          } catch (error) {
            status.textContent = describe(error);
          }
        } }, "Export session"),
        h("label", {}, "Import a session"), importInput, sessionLabel, memory),
      h("div", {}, face, chat, form, status)));

    call(() => dialogue.listCharacters({ pageSize: 200 })).then(({ characters }) => {
      characterSelect.replaceChildren(...characters.map((card) => h("option", { value: card.id }, card.name || card.id)));
      if (!characters.length) status.textContent = "No characters yet: create one on the Characters page.";
    }).catch((error) => { status.textContent = describe(error); });
    characterSelect.addEventListener("change", () => { session = null; chat.replaceChildren(); });
    return () => { animating = false; viewer?.dispose(); speaker?.close(); };
  },
};
