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
