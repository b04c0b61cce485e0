// Character and lore files in the shapes `worldsmith characters import` reads (TOML or JSON), both ways.
import { fromJson, toJson } from "@bufbuild/protobuf";
import { parse, stringify } from "smol-toml";
import { CharacterSchema, LoreEntrySchema } from "./gen/worldsmith/v1/dialogue_pb.js";

const RATING = "CONTENT_RATING_";
const VISIBILITY = "LORE_VISIBILITY_";

const fullEnum = (value, prefix) =>
  typeof value === "string" && !value.toUpperCase().startsWith(prefix) ? prefix + value.toUpperCase() : value;

function cardFromFile(raw) {
  const card = { ...raw };
  if ("content_rating" in card) card.content_rating = fullEnum(card.content_rating, RATING);
  card.actions = (card.actions ?? []).map((action) => {
    if (!("arguments_schema" in action)) return action;
    const { arguments_schema: schema, ...rest } = action;
    return { ...rest, arguments_schema_json: JSON.stringify(schema) };
  });
  return fromJson(CharacterSchema, card);
}

function loreFromFile(raw) {
  const entry = { ...raw };
  if ("visibility" in entry) entry.visibility = fullEnum(entry.visibility, VISIBILITY);
  return fromJson(LoreEntrySchema, entry);
}

/** Characters and lore entries of a .toml or .json file's text. */
export function readCardFile(name, text) {
  const data = name.toLowerCase().endsWith(".toml") ? parse(text) : JSON.parse(text);
  let characters = [];
  let lore = [];
  if (Array.isArray(data)) characters = data;
  else if (data && ("characters" in data || "lore" in data)) ({ characters = [], lore = [] } = data);
  else characters = [data];
  return { characters: characters.map(cardFromFile), lore: lore.map(loreFromFile) };
}

function cardForFile(card) {
  const data = toJson(CharacterSchema, card, { useProtoFieldName: true });
  if (data.content_rating) data.content_rating = data.content_rating.slice(RATING.length).toLowerCase();
  data.actions = (data.actions ?? []).map(({ arguments_schema_json: schema, ...rest }) => {
    try {
      return schema ? { ...rest, arguments_schema: JSON.parse(schema) } : rest;
    } catch {
      return { ...rest, arguments_schema_json: schema };
    }
  });
  if (!data.actions.length) delete data.actions;
  return data;
}

/** A file `worldsmith characters import` reads back: format "toml" or "json". */
export const writeCardFile = (card, format) =>
  format === "toml" ? stringify({ characters: [cardForFile(card)] }) : JSON.stringify(cardForFile(card), null, 2);
