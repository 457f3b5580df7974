// A plain HTML page for authorization errors that must not be redirected
// (unknown client, unregistered redirect_uri, expired interaction): the user
// sees what went wrong, and nothing is sent anywhere.
import { createHash } from "node:crypto";

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => escapes[ch]!);
}

/** The one stylesheet of the protocol's own pages (this error page, the logout confirmation). */
const PROTOCOL_PAGE_STYLE = `
  body { font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; background: #f8fafc; color: #0f172a; margin: 0; }
  main { max-width: 36rem; margin: 4rem auto; padding: 2rem; background: #fff; border: 1px solid #e2e8f0; border-radius: 0.75rem; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  p { line-height: 1.5; }
  code { background: #f1f5f9; padding: 0.1rem 0.3rem; border-radius: 0.25rem; }
  .muted { color: #475569; font-size: 0.875rem; } /* slate-600: 4.5:1 or better on the code background too (WCAG 1.4.3) */
  button { border: 0; border-radius: 0.375rem; padding: 0.5rem 1rem; font-size: 1rem; background: #4338ca; color: #fff; cursor: pointer; }
  a { color: #4338ca; }
`;

/** The page's <style> element; its content is what the policy's hash allows. */
export const PROTOCOL_PAGE_STYLE_ELEMENT = `<style>${PROTOCOL_PAGE_STYLE}</style>`;

/**
 * A CSP hash source for an inline <style> element's exact content (CSP Level 3
 * §8.3): the page's own styles apply, nothing injected does, and no
 * 'unsafe-inline' is needed.
 */
export function styleHashSource(css: string): string {
  return `'sha256-${createHash("sha256").update(css, "utf8").digest("base64")}'`;
}

/** Headers every interactive protocol response carries (RFC 9700 §4.16, §4.2.4). */
export const pageSecurityHeaders: Record<string, string> = {
  "Cache-Control": "no-store",
  Pragma: "no-cache",
  "Content-Security-Policy": `default-src 'none'; style-src ${styleHashSource(PROTOCOL_PAGE_STYLE)}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

export interface ErrorPageOptions {
  status?: number;
  title: string;
  message: string;
  /** The OAuth error code, shown small for developers. */
  code?: string;
}

export function errorPageResponse({ status = 400, title, message, code }: ErrorPageOptions): Response {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Gatehouse</title>
${PROTOCOL_PAGE_STYLE_ELEMENT}
</head>
<body>
<main role="main">
  <h1>${escapeHtml(title)}</h1>
  <p>${escapeHtml(message)}</p>
  ${code ? `<p class="muted">Error code: <code>${escapeHtml(code)}</code></p>` : ""}
  <p class="muted">You have not been redirected. You can close this page and return to the application.</p>
</main>
</body>
</html>`;
  return new Response(html, { status, headers: { "Content-Type": "text/html; charset=utf-8", ...pageSecurityHeaders } });
}
