// Characters: an editor for every card field and its actions, import and export of card files.
import { create } from "@bufbuild/protobuf";
import { call, describe, dialogue, fieldViolations, showFailure } from "../api.js";
import { readCardFile, writeCardFile } from "../cards.js";
import { CharacterSchema, ContentRating } from "../gen/worldsmith/v1/dialogue_pb.js";
import { checkUploadSize } from "../status.js";
import { download, field, h, listOf, showViolations } from "../ui.js";

const TEXT = [["id", "Id"], ["name", "Name"], ["role", "Role"], ["speakingStyle", "Speaking style", "speaking_style"],
  ["language", "Language (BCP 47)"], ["faction", "Faction"]];
const LINES = [["personalityTraits", "Personality traits (one a line)", "personality_traits"],
  ["exampleLines", "Example lines (one a line)", "example_lines"], ["goals", "Goals (one a line)"]];
const COMMAS = [["emotions", "Emotions (comma separated)"], ["knowledgeTags", "Knowledge tags (comma separated)", "knowledge_tags"],
  ["languages", "Further languages (comma separated)"]];
const RATINGS = ["CONTENT_RATING_UNSPECIFIED", "CONTENT_RATING_EVERYONE", "CONTENT_RATING_TEEN", "CONTENT_RATING_MATURE"];

function actionEditor(action, index, onRemove) {
  const prefix = `character.actions[${index}]`;
  return h("div", { class: "action" },
    field("Action name", h("input", { type: "text", value: action.name, name: "action-name" }), `${prefix}.name`),
    field("Description", h("input", { type: "text", value: action.description, name: "action-description" }), `${prefix}.description`),
    field("Arguments JSON Schema", h("textarea", { name: "action-schema", rows: 5, value: action.argumentsSchemaJson }),
      `${prefix}.arguments_schema_json`),
    h("button", { type: "button", onclick: onRemove }, "Remove action"));
}

function editor(card, onSaved) {
  const form = h("form", { class: "panel", id: "card-form" });
  const message = h("div", { class: "error", id: "card-message" });
  const inputs = {};
  const actions = h("div", { id: "actions" });
  const text = (key, value, multiline) => (inputs[key] = h(multiline ? "textarea" : "input", { type: "text", name: key, value }));
  const draw = (list) => actions.replaceChildren(...list.map((action, i) => actionEditor(action, i, () => {
    const kept = readActions(); kept.splice(i, 1); draw(kept);
  })));
  const readActions = () => [...actions.querySelectorAll(".action")].map((row) => ({
    name: row.querySelector("[name=action-name]").value.trim(),
    description: row.querySelector("[name=action-description]").value,
    argumentsSchemaJson: row.querySelector("[name=action-schema]").value,
  }));
  const read = () => create(CharacterSchema, {
    ...Object.fromEntries(TEXT.map(([key]) => [key, inputs[key].value.trim()])),
    backstory: inputs.backstory.value,
    ...Object.fromEntries(LINES.map(([key]) => [key, listOf(inputs[key].value)])),
    ...Object.fromEntries(COMMAS.map(([key]) => [key, listOf(inputs[key].value, /,/)])),
    contentRating: ContentRating[inputs.contentRating.value.slice("CONTENT_RATING_".length)],
    voice: inputs.voice.value.trim() || Number(inputs.voiceSpeed.value) ? { id: inputs.voice.value.trim(), speed: Number(inputs.voiceSpeed.value) } : undefined,
    actions: readActions(),
  });
  draw(card.actions);
  form.append(
    ...TEXT.map(([key, label, proto]) => field(label, text(key, card[key]), `character.${proto ?? key}`)),
    field("Backstory", text("backstory", card.backstory, true), "character.backstory"),
    ...LINES.map(([key, label, proto]) => field(label, text(key, card[key].join("\n"), true), `character.${proto ?? key}`)),
    ...COMMAS.map(([key, label, proto]) => field(label, text(key, card[key].join(", ")), `character.${proto ?? key}`)),
    field("Content rating", inputs.contentRating = h("select", { name: "contentRating" },
      ...RATINGS.map((name) => h("option", { value: name, selected: ContentRating[name.slice(15)] === card.contentRating }, name.slice(15).toLowerCase()))),
    "character.content_rating"),
    h("div", { class: "row" },
      field("Voice", text("voice", card.voice?.id ?? ""), "character.voice.id"),
      field("Voice speed", inputs.voiceSpeed = h("input", { type: "number", step: "0.1", name: "voiceSpeed", value: card.voice?.speed ?? 0 }), "character.voice.speed")),
    h("h3", {}, "Actions"), actions,
    h("button", { type: "button", onclick: () => draw([...readActions(), { name: "", description: "", argumentsSchemaJson: '{"type": "object", "properties": {}}' }]) }, "Add action"),
    h("div", {},
      h("button", { type: "submit", id: "save-character" }, "Save"),
      h("button", { type: "button", onclick: () => download(`${read().id || "character"}.toml`, writeCardFile(read(), "toml"), "application/toml") }, "Export TOML"),
      h("button", { type: "button", onclick: () => download(`${read().id || "character"}.json`, writeCardFile(read(), "json"), "application/json") }, "Export JSON"),
      h("button", { type: "button", onclick: async () => {
        try {
          await call(() => dialogue.deleteCharacter({ characterId: read().id }));
          onSaved(null);
        } catch (error) {
          message.textContent = describe(error);
        }
      } }, "Delete")),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const { character, created } = await call(() => dialogue.upsertCharacter({ character: read() }));
      showViolations(form, [], message);
      message.textContent = "";
      form.append(h("div", { class: "muted", id: "saved-note" }, `${created ? "Created" : "Saved"} ${character.id}.`));
      onSaved(character);
    } catch (error) {
      showFailure(form, message, error);
    }
  });
  return form;
}

export default {
  title: "Characters",
  mount(root) {
    const list = h("ul", { class: "list", id: "character-list" });
    const side = h("div", { class: "panel" });
    const main = h("div");
    const status = h("div", { class: "error" });
    const open = (card) => main.replaceChildren(editor(card ?? create(CharacterSchema), refresh));
    async function refresh(selected) {
      try {
        const { characters } = await call(() => dialogue.listCharacters({ pageSize: 200 }));
        list.replaceChildren(...characters.map((card) =>
          h("li", { class: card.id === selected?.id ? "selected" : "", onclick: () => open(card) }, card.name || card.id)));
        if (selected === null) open(null);
      } catch (error) {
        status.textContent = describe(error);
      }
    }
    const importInput = h("input", { type: "file", accept: ".toml,.json", id: "import-file", onchange: async () => {
      status.textContent = "";
      const file = importInput.files[0];
      try {
        checkUploadSize(file);
        const { characters, lore } = readCardFile(file.name, await file.text());
        for (const character of characters) await call(() => dialogue.upsertCharacter({ character }));
        if (lore.length) await call(() => dialogue.upsertLore({ entries: lore }));
        status.textContent = `Imported ${characters.length} characters and ${lore.length} lore entries.`;
        await refresh(characters[0]);
        if (characters[0]) open(characters[0]);
      } catch (error) {
        const violations = fieldViolations(error);
        status.textContent = violations.length ? violations.map((v) => `${v.field} ${v.description}`).join("\n") : (error.rawMessage ? describe(error) : String(error.message));
      }
    } });
    side.append(h("h3", {}, "Characters"), list, h("button", { type: "button", onclick: () => open(null) }, "New character"),
      h("label", {}, "Import a card file (TOML or JSON)"), importInput, status);
    root.append(h("div", { class: "columns" }, side, main));
    open(null);
    refresh();
  },
};
