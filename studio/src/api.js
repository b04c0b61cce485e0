// Connect clients for every service, the key on each call, and what a failed call means to the page.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { AdminService } from "./gen/worldsmith/v1/admin_pb.js";
import { AvatarService } from "./gen/worldsmith/v1/avatar_pb.js";
import { DialogueService } from "./gen/worldsmith/v1/dialogue_pb.js";
import { SceneService } from "./gen/worldsmith/v1/scene_pb.js";
import { TextureService } from "./gen/worldsmith/v1/texture_pb.js";
import { askForKey, currentKey } from "./key.js";
import { connectionLost } from "./status.js";
import { showViolations } from "./ui.js";

const withKey = (next) => async (request) => {
  request.header.set("authorization", `Bearer ${currentKey()}`);
  return next(request);
};

const transport = createConnectTransport({
  baseUrl: location.origin,
  useBinaryFormat: true,
  interceptors: [withKey],
});

export const dialogue = createClient(DialogueService, transport);
export const textures = createClient(TextureService, transport);
export const scenes = createClient(SceneService, transport);
export const avatars = createClient(AvatarService, transport);
export const admin = createClient(AdminService, transport);

const isConnectionLoss = (error) => {
  const connect = ConnectError.from(error);
  return connect.code === Code.Unavailable || (connect.code === Code.Unknown && /fetch|network/i.test(connect.rawMessage));
};

/** Runs `call` (which makes one or more calls); asks for the key again when it is refused and, when the server
 * cannot be reached, says so and runs it again once the server answers. Other errors reach the caller. */
export async function call(call) {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (error?.name === "AbortError" || ConnectError.from(error).code === Code.Canceled) throw error;
      if (ConnectError.from(error).code === Code.Unauthenticated) {
        await askForKey("unauthenticated: the server did not accept this key. Enter it again.");
      } else if (isConnectionLoss(error)) {
        await connectionLost();
      } else {
        throw error;
      }
    }
  }
}

/** google.rpc.BadRequest field violations of a failed call: [{field, description}]. */
export function fieldViolations(error) {
  const violations = [];
  for (const detail of ConnectError.from(error).details) {
    if (detail.type !== "google.rpc.BadRequest") continue;
    const reader = new BinaryReader(detail.value);
    while (reader.pos < reader.len) {
      const [fieldNo] = reader.tag();
      if (fieldNo !== 1) { reader.skip(2); continue; }
      const inner = new BinaryReader(reader.bytes());
      const violation = { field: "", description: "" };
      while (inner.pos < inner.len) {
        const [no, wireType] = inner.tag();
        if (no === 1) violation.field = inner.string();
        else if (no === 2) violation.description = inner.string();
        else inner.skip(wireType);
      }
      violations.push(violation);
    }
  }
  return violations;
}

/** A one-line message for an error shown on the page. */
export const describe = (error) => {
  const connect = ConnectError.from(error);
  return `${Code[connect.code] ?? "error"}: ${connect.rawMessage}`;
};

/** A failed call shown on its form: each field violation beside its field, anything else in `message`. */
export function showFailure(form, message, error) {
  const violations = fieldViolations(error);
  showViolations(form, violations, message);
  if (!violations.length) message.textContent = describe(error);
}
