// The layer rules from ARCHITECTURE.md, executable. Arrows point down only:
//
//   app/ ─▶ components/ (UI pieces: no data access)
//   app/ ─▶ lib/next (Next.js glue: the session of a page, the guards) ─▶ lib/gatehouse (composition root)
//   lib/gatehouse ─▶ lib/oauth (protocol core), lib/auth (portal sign-in), lib/db (storage)
//
// lib/oauth and lib/auth are framework-free and declare ports (ports.ts); lib/db
// implements lib/auth's without importing it, and only lib/db touches Prisma.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx|mjs|js)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.includes(`${path.sep}generated${path.sep}`));
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((match) => match[1]!);
}

/** What an import names: "@/<path>" for a project module however it was written (relative or "@/"), else the package. */
function targetOf(file: string, spec: string): string {
  if (spec.startsWith("@/")) return spec;
  if (!spec.startsWith(".")) return spec;
  return `@/${path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join("/")}`;
}

/** A project folder or module and everything under it, as an import target. */
const layer = (name: string) => new RegExp(`^@/${name}(/|$)`);
const FRAMEWORKS = [/^next(\/|$)/, /^react(-dom)?(\/|$)/];
const DATABASE = [/^@prisma\//, /^pg$/, /^@electric-sql\//, layer("lib/db")];

/** "file -> target" for every import in `dirs` that names one of `forbidden`. */
function offenders(dirs: string[], forbidden: RegExp[]): string[] {
  const files = dirs.flatMap((dir) => sourceFiles(dir));
  expect(files.length, `no source files under ${dirs.join(", ")}`).toBeGreaterThan(0);
  return files.flatMap((file) =>
    importsOf(file)
      .map((spec) => targetOf(file, spec))
      .filter((target) => forbidden.some((rule) => rule.test(target)))
      .map((target) => `${path.relative(root, file)} -> ${target}`),
  );
}

describe("layer boundaries (arrows point down only)", () => {
  it("reads relative and @/ imports as the same module", () => {
    const seed = path.join(root, "lib", "db", "seed.ts");
    expect(targetOf(seed, "../auth/passwords")).toBe("@/lib/auth/passwords");
    expect(targetOf(seed, "./client")).toBe("@/lib/db/client");
    expect(targetOf(seed, "@/lib/auth/passwords")).toBe("@/lib/auth/passwords");
    expect(layer("lib/auth").test("@/lib/auth/passwords")).toBe(true);
    expect(layer("lib/gatehouse").test("@/lib/gatehouse")).toBe(true);
    expect(layer("app").test("@/application")).toBe(false);
    expect(importsOf(path.join(root, "lib", "gatehouse.ts"))).toContain("./db/client");
  });

  it("lib/oauth imports no Next.js, React, Prisma or database code", () => {
    expect(offenders(["lib/oauth"], [...FRAMEWORKS, ...DATABASE])).toEqual([]);
    expect(sourceFiles("lib/oauth").length).toBeGreaterThan(5);
  });

  it("lib/oauth imports nothing from lib/auth, lib/next, lib/gatehouse, app or components", () => {
    expect(offenders(["lib/oauth"], ["lib/auth", "lib/next", "lib/gatehouse", "app", "components"].map(layer))).toEqual([]);
  });

  it("lib/auth imports no Next.js, React, database code, lib/next or the composition root (lib/gatehouse)", () => {
    expect(offenders(["lib/auth"], [...FRAMEWORKS, ...DATABASE, ...["lib/next", "lib/gatehouse", "app", "components"].map(layer)])).toEqual([]);
  });

  it("lib/db imports nothing from lib/auth, lib/next, lib/gatehouse, app or components", () => {
    expect(offenders(["lib/db"], ["lib/auth", "lib/next", "lib/gatehouse", "app", "components"].map(layer))).toEqual([]);
  });

  it("components import nothing from app, lib/db or lib/gatehouse (UI pieces, no data access)", () => {
    expect(offenders(["components"], ["app", "lib/db", "lib/gatehouse"].map(layer))).toEqual([]);
  });

  it("only lib/db imports the Prisma client", () => {
    const files = [...sourceFiles("app"), ...sourceFiles("components"), ...sourceFiles("lib"), path.join(root, "server.ts"), path.join(root, "cli.ts")]
      .filter((file) => !file.startsWith(path.join(root, "lib", "db") + path.sep));
    const offenders = files.flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith("@prisma/") || /db\/generated/.test(spec))
        .map((spec) => `${path.relative(root, file)} -> ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("guarded pages and actions (issue #5: checked on the server for every action)", () => {
  const serverActionFiles = () =>
    sourceFiles("app").filter((file) => /^\s*["']use server["']/m.test(fs.readFileSync(file, "utf8")));

  it("every server action under app/dashboard is built with adminAction, under app/account with accountAction", () => {
    const offenders: string[] = [];
    for (const file of serverActionFiles()) {
      const relative = path.relative(root, file);
      const guard = relative.startsWith(path.join("app", "dashboard")) ? "adminAction" : relative.startsWith(path.join("app", "account")) ? "accountAction" : null;
      if (!guard) continue;
      const text = fs.readFileSync(file, "utf8");
      for (const match of text.matchAll(/^export\s+(?:const|async\s+function|function)\s+(\w+)(.*)$/gm)) {
        const [, name, rest] = match;
        if (!new RegExp(`^\\s*=\\s*${guard}\\(`).test(rest!)) offenders.push(`${relative}: ${name} is not ${guard}(...)`);
      }
      if (/^export\s+(default|\{)/m.test(text)) offenders.push(`${relative}: re-exports or default export (unchecked)`);
    }
    expect(offenders).toEqual([]);
  });

  it("every page under app/dashboard calls requireAdminPage before anything else", () => {
    const pages = sourceFiles("app/dashboard").filter((file) => /page\.tsx$/.test(file));
    expect(pages.length).toBeGreaterThan(0);
    const offenders = pages.filter((file) => {
      const text = fs.readFileSync(file, "utf8");
      const body = text.slice(text.indexOf("export default async function"));
      const firstAwait = body.match(/await\s+([\w.]+)\(/);
      return firstAwait?.[1] !== "requireAdminPage";
    });
    expect(offenders.map((file) => path.relative(root, file))).toEqual([]);
  });
});
