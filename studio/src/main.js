// The studio's shell: key, navigation between the pages, and the banner.
import { ensureKey, forgetKey } from "./key.js";
import { loadLimits } from "./status.js";
import { h } from "./ui.js";
import characters from "./pages/characters.js";
import lore from "./pages/lore.js";
import play from "./pages/play.js";
import textures from "./pages/textures.js";
import scenes from "./pages/scenes.js";
import avatars from "./pages/avatars.js";
import jobs from "./pages/jobs.js";

const PAGES = { characters, lore, play, textures, scenes, avatars, jobs };
let leave = null;

function show() {
  const name = PAGES[location.hash.slice(1)] ? location.hash.slice(1) : "characters";
  document.querySelectorAll("nav a").forEach((link) => link.classList.toggle("active", link.dataset.page === name));
  leave?.();
  const root = document.getElementById("page");
  root.replaceChildren();
  leave = PAGES[name].mount(root) ?? null;
}

async function start() {
  document.getElementById("nav").append(
    ...Object.entries(PAGES).map(([name, page]) => h("a", { href: `#${name}`, "data-page": name }, page.title)));
  document.getElementById("forget-key").addEventListener("click", () => forgetKey());
  await loadLimits();
  await ensureKey();
  window.addEventListener("hashchange", show);
  show();
}

start();
