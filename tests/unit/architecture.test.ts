// The layer rules from ARCHITECTURE.md, executable: lib/oauth stays
// framework-free, and only lib/db touches the Prisma client.
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

describe("layer boundaries", () => {
  it("lib/oauth imports no Next.js, React, Prisma or database code", () => {
    const offenders = sourceFiles("lib/oauth").flatMap((file) =>
      importsOf(file)
        .filter((spec) => /^(next|react|react-dom|@prisma\/|pg$|@electric-sql\/)/.test(spec) || /(^|\/)db(\/|$)/.test(spec))
        .map((spec) => `${path.relative(root, file)} -> ${spec}`),
    );
    expect(offenders).toEqual([]);
    expect(sourceFiles("lib/oauth").length).toBeGreaterThan(5);
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
