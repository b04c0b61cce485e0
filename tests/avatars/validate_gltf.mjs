// Validate glTF binaries with the Khronos glTF validator; print one JSON report per file.
// Usage: node validate_gltf.mjs <path to the gltf-validator package> <file.glb>...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const [validatorDir, ...files] = process.argv.slice(2);
const validator = createRequire(import.meta.url)(resolve(validatorDir));
const reports = [];
for (const file of files) {
  const report = await validator.validateBytes(new Uint8Array(readFileSync(file)), { uri: file, maxIssues: 200 });
  reports.push(report);
}
process.stdout.write(JSON.stringify(reports));
