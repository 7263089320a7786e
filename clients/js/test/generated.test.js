// The generated filters and types are what the running emulator's OpenAPI document says.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";

import { GENERATED_FILES, render } from "../scripts/generate.js";
import { QUERY_PARAMETERS, startEmulator } from "../src/index.js";

let emulator;
let document;

before(async () => {
  emulator = await startEmulator();
  document = await (await fetch(`${emulator.baseUrl}/_emulator/openapi.json`)).json();
});
after(() => emulator?.stop());

test("src/generated.js and .d.ts are up to date (else: npm run generate -- <emulator URL>)", async () => {
  const { js, dts } = render(document);
  assert.equal(await readFile(GENERATED_FILES.js, "utf8"), js);
  assert.equal(await readFile(GENERATED_FILES.dts, "utf8"), dts);
});

test("every filter of the inspection API is one the client accepts", () => {
  for (const path of ["/_emulator/sends", "/_emulator/sends/wait", "/_emulator/export", "/_emulator/requests"]) {
    const names = document.paths[path].get.parameters.map((p) => p.name);
    assert.deepEqual(QUERY_PARAMETERS[`GET ${path}`], names);
  }
});
