// The unit project's global setup: one migrated in-memory PGlite, dumped to a
// tar that every store test's PGlite starts from (tests/helpers/memoryDatabase.ts).
import fs from "node:fs";
import path from "node:path";
import { MEMORY_TEMPLATE_VARIABLE, writeMemoryTemplate } from "./memoryDatabase";
import { PROJECT_ROOT } from "./server";

const file = path.join(PROJECT_ROOT, "tests", ".tmp", `memory-template-${process.pid}.tar`);

export async function setup(): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeMemoryTemplate(file);
  process.env[MEMORY_TEMPLATE_VARIABLE] = file;
}

export async function teardown(): Promise<void> {
  fs.rmSync(file, { force: true });
}
