// The banner: lost connections (polling until the server answers again) and the server's limits.
let limits = { max_message_bytes: 4 * 1024 * 1024 };
let reconnecting = null;

const banner = (text, kind = "") => {
  const element = document.getElementById("banner");
  element.textContent = text;
  element.className = kind;
  element.hidden = !text;
};

const reachable = async () => {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (!response.ok) return false;
    limits = await response.json();
    return true;
  } catch {
    return false;
  }
};

export async function loadLimits() {
  while (!(await reachable())) await connectionLost();
}

export const maxMessageBytes = () => limits.max_message_bytes;

/** Says the connection is lost and resolves once the server answers again. */
export function connectionLost() {
  reconnecting ??= (async () => {
    banner("Connection to the server lost; retrying…", "error");
    while (!(await reachable())) await new Promise((resolve) => setTimeout(resolve, 2000));
    banner("");
    reconnecting = null;
  })();
  return reconnecting;
}

/** Refuses a file larger than the server reads, before it is sent. */
export function checkUploadSize(file) {
  if (file.size > maxMessageBytes()) {
    throw new Error(`${file.name} is ${file.size} bytes; the server reads at most ${maxMessageBytes()} bytes per message`);
  }
}
