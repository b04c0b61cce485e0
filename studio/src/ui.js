// Small DOM helpers shared by the pages.

/** h("div", {class: "x", onclick}, child, ...) -> element. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "value") element.value = value;
    else if (name === "checked") element.checked = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A labelled input whose errors show under it; `data-field` names the request field it fills. */
export function field(label, input, fieldPath) {
  if (fieldPath) input.dataset.field = fieldPath;
  return h("div", { class: "form-field" }, h("label", {}, label), input, h("div", { class: "field-error", "data-error-for": fieldPath ?? "" }));
}

/** Shows each violation at the input it names (or in `fallback` when none does); clears old ones. */
export function showViolations(root, violations, fallback) {
  root.querySelectorAll(".field-error").forEach((element) => { element.textContent = ""; });
  root.querySelectorAll(".invalid").forEach((element) => element.classList.remove("invalid"));
  const unplaced = [];
  for (const { field: name, description } of violations) {
    const input = root.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!input) { unplaced.push(`${name} ${description}`); continue; }
    input.classList.add("invalid");
    const error = root.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    error.textContent = error.textContent ? `${error.textContent}; ${description}` : description;
  }
  if (fallback) fallback.textContent = unplaced.join("\n");
}

/** Lines (or commas) of a text box as a list. */
export const listOf = (text, separator = /\n/) => text.split(separator).map((item) => item.trim()).filter(Boolean);

export function download(name, data, mime = "application/octet-stream") {
  const url = URL.createObjectURL(new Blob([data], { type: mime }));
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const pngUrl = (bytes) => URL.createObjectURL(new Blob([bytes], { type: "image/png" }));

export const readFile = (file) => file.arrayBuffer().then((buffer) => new Uint8Array(buffer));
