// The dashboard's pages and server actions, enumerated from the source tree
// and the build itself (app/dashboard/**/page.tsx and Next's server-reference
// manifest), so a new page or action is covered by the access tests the day it
// is added. No test-runner imports: vitest and Playwright suites both use it.
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { PROJECT_ROOT } from "./server";

/** Every dashboard page path, dynamic segments filled with a fresh uuid. */
export function dashboardPages(): string[] {
  const dir = path.join(PROJECT_ROOT, "app", "dashboard");
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name === "page.tsx")
    .map((entry) => {
      const relative = path.relative(path.join(PROJECT_ROOT, "app"), entry.parentPath).split(path.sep);
      return "/" + relative.map((segment) => (/^\[.+\]$/.test(segment) ? randomUUID() : segment)).join("/");
    })
    .sort();
}

/** The dashboard pages without a dynamic segment (an admin can open each without knowing any id). */
export function staticDashboardPages(): string[] {
  return dashboardPages().filter((candidate) => !/[0-9a-f]{8}-/.test(candidate));
}

export interface ServerAction {
  id: string;
  filename: string;
  exportedName: string;
  /** A page path that mounts the action (the POST goes there, as the browser's does). */
  pagePath: string;
}

/** The built server actions of app/dashboard (Next's manifest maps id → file, export and pages). */
export function dashboardActions(): ServerAction[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, ".next", "server", "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename: string; exportedName: string; workers: Record<string, unknown> }>;
  };
  return Object.entries(manifest.node)
    .filter(([, action]) => action.filename.startsWith("app/dashboard/"))
    .map(([id, action]) => {
      const worker = Object.keys(action.workers).find((name) => name.startsWith("app/dashboard")) ?? Object.keys(action.workers)[0]!;
      const pagePath = worker.replace(/^app/, "").replace(/\/page$/, "").replace(/\[[^\]]+\]/g, randomUUID());
      return { id, filename: action.filename, exportedName: action.exportedName, pagePath };
    });
}
