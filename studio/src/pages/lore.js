// Lore: entries with tags and visibility, listed by tag, saved and deleted.
import { create } from "@bufbuild/protobuf";
import { call, describe, dialogue, showFailure } from "../api.js";
import { LoreEntrySchema, LoreVisibility } from "../gen/worldsmith/v1/dialogue_pb.js";
import { field, h, listOf, showViolations } from "../ui.js";

const VISIBILITIES = ["GLOBAL", "FACTION", "QUEST_STATE"];

function editor(entry, onSaved) {
  const input = (name, value) => h("input", { type: "text", name, value });
  const inputs = {
    id: input("id", entry.id), title: input("title", entry.title), text: h("textarea", { name: "text", rows: 6, value: entry.text }),
    tags: input("tags", entry.tags.join(", ")), faction: input("faction", entry.faction), questFlag: input("quest_flag", entry.questFlag),
    visibility: h("select", { name: "visibility" }, ...VISIBILITIES.map((name) =>
      h("option", { value: name, selected: LoreVisibility[name] === entry.visibility }, name.toLowerCase().replace("_", " ")))),
  };
  const message = h("div", { class: "error" });
  const read = () => create(LoreEntrySchema, {
    id: inputs.id.value.trim(), title: inputs.title.value, text: inputs.text.value, tags: listOf(inputs.tags.value, /,/),
    visibility: LoreVisibility[inputs.visibility.value], faction: inputs.faction.value.trim(), questFlag: inputs.questFlag.value.trim(),
  });
  const form = h("form", { class: "panel", id: "lore-form" },
    field("Id", inputs.id, "entries[0].id"), field("Title", inputs.title, "entries[0].title"), field("Text", inputs.text, "entries[0].text"),
    field("Tags (comma separated)", inputs.tags, "entries[0].tags"), field("Visibility", inputs.visibility, "entries[0].visibility"),
    field("Faction (faction visibility)", inputs.faction, "entries[0].faction"),
    field("Quest flag (quest-state visibility)", inputs.questFlag, "entries[0].quest_flag"),
    h("button", { type: "submit" }, "Save"),
    h("button", { type: "button", onclick: async () => {
      try {
        await call(() => dialogue.deleteLore({ loreId: read().id }));
        onSaved();
      } catch (error) {
        message.textContent = describe(error);
      }
    } }, "Delete"),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call(() => dialogue.upsertLore({ entries: [read()] }));
      showViolations(form, [], message);
      onSaved();
    } catch (error) {
      showFailure(form, message, error);
    }
  });
  return form;
}

export default {
  title: "Lore",
  mount(root) {
    const tag = h("input", { type: "text", id: "lore-tag", placeholder: "filter by tag" });
    const list = h("ul", { class: "list", id: "lore-list" });
    const main = h("div");
    const status = h("div", { class: "error" });
    const open = (entry) => main.replaceChildren(editor(entry ?? create(LoreEntrySchema, { visibility: LoreVisibility.GLOBAL }), refresh));
    async function refresh() {
      try {
        const { entries } = await call(() => dialogue.listLore({ tag: tag.value.trim() }));
        list.replaceChildren(...entries.map((entry) => h("li", { onclick: () => open(entry) },
          entry.title || entry.id, h("div", { class: "muted" }, `${entry.tags.join(", ")} · ${LoreVisibility[entry.visibility].toLowerCase()}`))));
      } catch (error) {
        status.textContent = describe(error);
      }
    }
    tag.addEventListener("change", refresh);
    root.append(h("div", { class: "columns" },
      h("div", { class: "panel" }, h("h3", {}, "Lore"), tag, list, h("button", { type: "button", onclick: () => open(null) }, "New entry"), status), main));
    open(null);
    refresh();
  },
};
