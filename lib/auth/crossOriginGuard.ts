// Who may post a server action (the sign-in, sign-out and consent forms).
//
// Next.js protects server actions by comparing the Origin header with
// X-Forwarded-Host or Host, and answers a mismatch with a 500 ("Invalid Server
// Actions request"). Two problems with that alone:
//   - Our pages send `Referrer-Policy: no-referrer`, and then browsers send
//     `Origin: null` on a same-origin form POST (Fetch standard, "append a
//     request Origin header"). Next.js refuses "null", so every form posted
//     WITHOUT JavaScript would fail with a 500.
//   - A refused cross-site post deserves a clear 403, not a 500.
// So server.ts asks this guard first, for the requests Next.js treats as
// possible server actions. Browsers tell us the truth in Sec-Fetch-Site (a
// header no page can set): "same-origin" is accepted, and a null Origin is then
// replaced by the request's own origin so that Next.js's check agrees;
// "same-site" and "cross-site" get a 403. Without Sec-Fetch-Site (old browsers,
// scripts) the Origin comparison decides, exactly as Next.js would, except
// that a mismatch or "null" gets the 403 page.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";

function first(value: string | string[] | undefined): string | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  return one?.split(",")[0]?.trim() || undefined;
}

/** What Next.js would treat as a possible server action: a fetch action (Next-Action header) or a multipart form post. */
export function isPossibleServerActionPost(req: IncomingMessage): boolean {
  if (req.method !== "POST") return false;
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
  return req.headers["next-action"] !== undefined || contentType.startsWith("multipart/form-data");
}

export type ServerActionOriginVerdict =
  | { verdict: "pass" }
  /** Same-origin per Sec-Fetch-Site but Origin is "null" or absent: rewrite it to this. */
  | { verdict: "pass-with-origin"; origin: string }
  | { verdict: "refuse" };

/** The host Next.js compares the Origin with. */
function requestHost(req: IncomingMessage): string | undefined {
  return first(req.headers["x-forwarded-host"]) ?? first(req.headers.host);
}

/**
 * RFC 6454 §7: one Origin header holding one origin (or "null"). Node.js joins repeated headers with ", ", so a
 * comma means several: no browser sends that, and Next.js fails on the joined value (a 500) — the fuzz found it.
 */
function isOriginList(value: string | string[] | undefined): boolean {
  return Array.isArray(value) ? value.length > 1 : (value?.includes(",") ?? false);
}

export function judgeServerActionOrigin(req: IncomingMessage): ServerActionOriginVerdict {
  if (!isPossibleServerActionPost(req)) return { verdict: "pass" };
  if (isOriginList(req.headers.origin)) return { verdict: "refuse" };
  const origin = first(req.headers.origin);
  const host = requestHost(req);
  const fetchSite = first(req.headers["sec-fetch-site"])?.toLowerCase();
  if (fetchSite === "same-site" || fetchSite === "cross-site") return { verdict: "refuse" };
  if (fetchSite === "same-origin" && (origin === undefined || origin === "null")) {
    if (!host) return { verdict: "refuse" };
    const forwardedProto = first(req.headers["x-forwarded-proto"]);
    const scheme = forwardedProto === "https" || forwardedProto === "http" ? forwardedProto : (req.socket as TLSSocket).encrypted ? "https" : "http";
    return { verdict: "pass-with-origin", origin: `${scheme}://${host}` };
  }
  // No Origin at all: not a browser's form (Next.js lets it through too).
  if (origin === undefined) return { verdict: "pass" };
  let originHost: string;
  try {
    originHost = origin === "null" ? "null" : new URL(origin).host;
  } catch {
    return { verdict: "refuse" };
  }
  return host !== undefined && originHost === host ? { verdict: "pass" } : { verdict: "refuse" };
}

const REFUSAL_PAGE_STYLE = `body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1.5rem; color: #0f172a; } h1 { font-size: 1.5rem; }`;

const REFUSAL_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Form refused · Gatehouse</title><style>${REFUSAL_PAGE_STYLE}</style></head>
<body>
<h1>This form was sent from another site</h1>
<p>For your safety, Gatehouse only accepts sign-in and sign-out forms sent from its own pages.
Nothing was changed.</p>
<p><a href="/login">Go to the sign-in page</a> and try again.</p>
</body></html>
`;

/** Only the page's own stylesheet applies (a hash source: no 'unsafe-inline'). */
const REFUSAL_PAGE_POLICY = `default-src 'none'; style-src 'sha256-${createHash("sha256").update(REFUSAL_PAGE_STYLE, "utf8").digest("base64")}'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;

const MAX_DISCARDED_BYTES = 1024 * 1024;

function setOrigin(req: IncomingMessage, origin: string): void {
  req.headers.origin = origin;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === "origin") raw.splice(i, 2);
  }
  raw.push("Origin", origin);
}

/**
 * Applies the verdict: answers 403 (and returns true) for a refused post, or
 * fixes up a same-origin post's null Origin and returns false (hand it on).
 */
export function guardServerActionOrigin(req: IncomingMessage, res: ServerResponse): boolean {
  const judged = judgeServerActionOrigin(req);
  if (judged.verdict === "pass") return false;
  if (judged.verdict === "pass-with-origin") {
    setOrigin(req, judged.origin);
    return false;
  }
  // Read (and drop) the body first: answering while the browser is still
  // sending would reset the connection instead of showing the page.
  let received = 0;
  req.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_DISCARDED_BYTES) req.destroy();
  });
  req.on("error", () => res.destroy());
  req.on("end", () => {
    res.writeHead(403, {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": REFUSAL_PAGE_POLICY,
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    });
    res.end(REFUSAL_PAGE);
  });
  return true;
}
