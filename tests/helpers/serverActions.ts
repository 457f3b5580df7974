// Calls a Next.js server action over HTTP the way React's client does: POST
// to the page with the action's id in the Next-Action header and the
// arguments as JSON. The id comes from the build's manifest
// (.next/server/server-reference-manifest.json), found by file and export name,
// so the test exercises the real action with its guard, exactly as a browser
// (or an attacker replaying requests) would reach it. No test-runner imports.
import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "./server";

interface ManifestEntry {
  filename?: string;
  exportedName?: string;
}

let manifest: Record<string, ManifestEntry> | undefined;

/** The action id of `exportedName` in `filename` (relative to the project root), from the last build. */
export function serverActionId(filename: string, exportedName: string): string {
  manifest ??= (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, ".next/server/server-reference-manifest.json"), "utf8")) as { node: Record<string, ManifestEntry> }).node;
  const found = Object.entries(manifest).find(([, entry]) => entry.filename === filename && entry.exportedName === exportedName);
  if (!found) throw new Error(`no server action ${exportedName} in ${filename} in the build's manifest (run npm run build)`);
  return found[0];
}

export interface ServerActionCall {
  /** The HTTP status of the POST (200 whenever the action ran). */
  status: number;
  /** The action's return value, decoded from the React Server Components stream. */
  result: unknown;
  /** The Set-Cookie headers of the answer. */
  setCookies: string[];
}

/**
 * The value the action returned: the flight stream's first row names the row
 * holding it ("a":"$@<row>"); that row is plain JSON for the plain values our
 * actions return.
 */
function decodeActionResult(body: string): unknown {
  const rows = new Map<string, string>();
  for (const line of body.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) rows.set(line.slice(0, colon), line.slice(colon + 1));
  }
  const head = JSON.parse(rows.get("0") ?? "null") as { a?: unknown } | null;
  const reference = typeof head?.a === "string" && head.a.startsWith("$@") ? head.a.slice(2) : null;
  const row = reference === null ? undefined : rows.get(reference);
  if (row === undefined) throw new Error(`no action result in the answer:\n${body.slice(0, 1000)}`);
  return JSON.parse(row, (_key, value) => (value === "$undefined" ? undefined : value));
}

export async function callServerAction(
  base: string,
  options: { page: string; filename: string; exportedName: string; input: unknown; cookie?: string },
): Promise<ServerActionCall> {
  const response = await fetch(new URL(options.page, base), {
    method: "POST",
    redirect: "manual",
    headers: {
      "Next-Action": serverActionId(options.filename, options.exportedName),
      Accept: "text/x-component",
      "Content-Type": "text/plain;charset=UTF-8",
      Origin: new URL(base).origin,
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body: JSON.stringify([options.input]),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`the action ${options.exportedName} answered ${response.status}:\n${body.slice(0, 1000)}`);
  return { status: response.status, result: decodeActionResult(body), setCookies: response.headers.getSetCookie() };
}
