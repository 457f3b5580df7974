// The README's two variable tables against the code (issue #11) and the
// configuration schema (issue #13 item 5, lib/settings.ts): "Configuration"
// lists exactly the variables CONFIGURATION_SCHEMA parses, with its defaults;
// the server and the CLI read no variable the schema does not parse; every one
// only tests and tools read is in "Tests", and every documented one is still read.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIGURATION_VARIABLES, variableInfo } from "@/lib/settings";

const root = path.resolve(__dirname, "../..");

/** The server and the CLI: what an operator configures. */
const SERVER_SOURCES = ["app", "components", "lib", "server.ts", "cli.ts", "instrumentation-client.ts", "next.config.js", "prisma.config.ts"];
/** Test suites, their configuration, CI and the development scripts (build, test, bench, screenshots). */
const TEST_SOURCES = ["tests", "playwright.config.ts", "vitest.config.ts", ".ci/run", "scripts"];
const SKIPPED_DIRECTORIES = new Set(["generated", "node_modules", ".tmp"]);

function filesUnder(relative: string): string[] {
  const full = path.join(root, relative);
  if (!fs.existsSync(full)) return [];
  if (!fs.statSync(full).isDirectory()) return [full];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : filesUnder(path.join(relative, entry.name));
    return /\.(ts|tsx|mjs|js)$/.test(entry.name) ? [path.join(full, entry.name)] : [];
  });
}

const NAME = "[A-Z][A-Z0-9_]*";
/** process.env.X, process.env["X"], const { X } = process.env. */
const PROCESS_ENV_READS = [new RegExp(`process\\.env\\.(${NAME})\\b`, "g"), new RegExp(`process\\.env\\[\\s*["'\`](${NAME})["'\`]\\s*\\]`, "g")];
const PROCESS_ENV_DESTRUCTURING = /\{([^{}]*)\}\s*=\s*process\.env\b/g;
/**
 * env.X where `env` is an environment passed in (lib/settings.ts's readSettings(env)):
 * not a property of something else (store.env.X is a test server's environment),
 * not an assignment or a delete (those set up a child process's environment).
 */
const ENV_PARAMETER_READ = new RegExp(`(?<![\\w.$])(?<!delete\\s+)env\\.(${NAME})\\b(?!\\s*=(?!=))`, "g");
/** A setting read by name through a helper: a string literal that is exactly a GATEHOUSE_ name. */
const SETTING_NAME_LITERAL = /["'`](GATEHOUSE_[A-Z0-9_]+)["'`]/g;
/** Shell: $X or ${X...}. */
const SHELL_READ = new RegExp(`\\$\\{?(${NAME})`, "g");

/** Environment variables one file reads. */
function variablesReadIn(file: string, text: string, { settingLiterals }: { settingLiterals: boolean }): Set<string> {
  const names = new Set<string>();
  const add = (pattern: RegExp) => {
    for (const match of text.matchAll(pattern)) names.add(match[1]!);
  };
  if (!/\.(ts|tsx|mjs|js)$/.test(file)) {
    add(SHELL_READ);
    return names;
  }
  PROCESS_ENV_READS.forEach(add);
  add(ENV_PARAMETER_READ);
  if (settingLiterals) add(SETTING_NAME_LITERAL);
  for (const match of text.matchAll(PROCESS_ENV_DESTRUCTURING)) {
    for (const part of match[1]!.split(",")) {
      const name = part.trim().split(/[\s:=]/)[0]!;
      if (new RegExp(`^${NAME}$`).test(name)) names.add(name);
    }
  }
  return names;
}

function variablesReadBy(sources: string[], options: { settingLiterals: boolean }): Set<string> {
  const names = new Set<string>();
  // This file's own examples of the patterns are not reads.
  for (const file of sources.flatMap(filesUnder).filter((file) => file !== __filename)) {
    for (const name of variablesReadIn(file, fs.readFileSync(file, "utf8"), options)) names.add(name);
  }
  return names;
}

/** Backticked names in the first column of the tables under a "## heading", up to the next "## ", with their row's second cell. */
function documentedRows(readme: string, heading: string): Map<string, string> {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const [firstCell = "", secondCell = ""] = /^\|([^|]*)\|([^|]*)\|/.exec(line)?.slice(1) ?? [];
    for (const match of firstCell.matchAll(new RegExp(`\`(${NAME})\``, "g"))) rows.set(match[1]!, secondCell.trim());
  }
  return rows;
}

const documentedVariables = (readme: string, heading: string) => new Set(documentedRows(readme, heading).keys());

const sorted = (names: Iterable<string>) => [...names].sort();
const missingFrom = (names: Set<string>, documented: Set<string>) => sorted([...names].filter((name) => !documented.has(name)));

const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const schemaVariables = new Set<string>(CONFIGURATION_VARIABLES);
const serverVariables = variablesReadBy(SERVER_SOURCES, { settingLiterals: true });
const testVariables = new Set(
  [...variablesReadBy(TEST_SOURCES, { settingLiterals: false })].filter((name) => !serverVariables.has(name) && !schemaVariables.has(name)),
);
const configurationTable = documentedVariables(readme, "Configuration");
const testTable = documentedVariables(readme, "Tests");

describe("README configuration tables", () => {
  it("finds what the code reads (the scan itself works)", () => {
    expect(serverVariables).toContain("GATEHOUSE_ISSUER");
    expect(serverVariables).toContain("GATEHOUSE_KEY_REFRESH_SECONDS");
    expect(serverVariables).toContain("GATEHOUSE_LOG_LEVEL");
    expect(testVariables).toContain("GATEHOUSE_TEST_PG_URL");
    expect(testVariables).toContain("GATEHOUSE_FUZZ_SEED");
  });

  it("lists under Configuration exactly the variables the configuration schema parses", () => {
    expect(missingFrom(schemaVariables, configurationTable)).toEqual([]);
    expect(missingFrom(configurationTable, schemaVariables)).toEqual([]);
  });

  it("the server and the CLI read no variable the schema does not parse (nothing escapes validation)", () => {
    expect(missingFrom(serverVariables, schemaVariables)).toEqual([]);
  });

  it("shows the schema's default of each variable that has one plain default", () => {
    const rows = documentedRows(readme, "Configuration");
    const wrong = CONFIGURATION_VARIABLES.flatMap((name) => {
      const expected = variableInfo(name).default;
      return expected === undefined || rows.get(name)?.includes(`\`${expected}\``) ? [] : [`${name}: schema ${expected}, README "${rows.get(name)}"`];
    });
    expect(wrong).toEqual([]);
  });

  it("documents every variable only tests and tools read under Tests", () => {
    expect(missingFrom(testVariables, testTable)).toEqual([]);
  });

  it("documents no test variable the code does not read", () => {
    expect(missingFrom(testTable, testVariables)).toEqual([]);
  });
});

describe("the scan", () => {
  const read = (text: string, file = "x.ts") => sorted(variablesReadIn(file, text, { settingLiterals: true }));

  it("counts reads, through process.env or an env parameter, and setting names given to a helper", () => {
    expect(read('process.env.A_B; process.env["C"]; const { D, E: e } = process.env; env.F ?? 1; int("GATEHOUSE_G", x)')).toEqual([
      "A_B",
      "C",
      "D",
      "E",
      "F",
      "GATEHOUSE_G",
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script's ${...}, not a template
    expect(read('if [ -z "${PG_URL:-}" ]; then echo $HOME; fi', ".ci/run")).toEqual(["HOME", "PG_URL"]);
  });

  it("does not count environments set up for child processes, or another object's env", () => {
    expect(read("env.A = 1; delete env.B; store.env.C; extraEnv.D; env.E === 'x'")).toEqual(["E"]);
  });
});
