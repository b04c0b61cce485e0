// The user's API key: typed once into a dialog and kept in sessionStorage for this tab.
const STORAGE = "worldsmith.key";
let waiting = null;

export const currentKey = () => sessionStorage.getItem(STORAGE) ?? "";

/** Shows the key dialog with `message`; resolves once a key has been entered. */
export function askForKey(message) {
  const dialog = document.getElementById("key-dialog");
  document.getElementById("key-message").textContent = message;
  if (!waiting) {
    waiting = new Promise((resolve) => {
      const form = document.getElementById("key-form");
      form.onsubmit = () => {
        const input = document.getElementById("key-input");
        sessionStorage.setItem(STORAGE, input.value.trim());
        input.value = "";
        waiting = null;
        resolve();
      };
    });
    if (!dialog.open) dialog.showModal();
  }
  return waiting;
}

export async function ensureKey() {
  if (!currentKey()) await askForKey("Enter a worldsmith API key (editor or admin scope). It is kept in this tab only.");
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE);
  return ensureKey();
}
