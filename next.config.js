import { PHASE_DEVELOPMENT_SERVER } from "next/constants.js";

/**
 * `next dev` only: the production server (server.ts) sets a per-request policy with a nonce
 * (lib/server/contentSecurityPolicy.ts), which a header here would overwrite, so builds carry none.
 * The dev server has no custom server to make nonces, and its hot reloading evaluates code
 * ('unsafe-eval') and talks over a websocket; form-action is left open because the consent and
 * sign-in redirects to a client cannot be known here (docs/decisions/0013-security-headers-and-files.md).
 */
const DEVELOPMENT_POLICY =
  "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** @type {(phase: string) => import('next').NextConfig} */
export default function nextConfig(phase) {
  const developmentOnly = phase === PHASE_DEVELOPMENT_SERVER ? [{ key: "Content-Security-Policy", value: DEVELOPMENT_POLICY }] : [];
  return {
    // The embedded database ships wasm and data files that must load from node_modules.
    serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@node-rs/argon2"],
    poweredByHeader: false,
    // forbidden() answers non-admins on dashboard pages with a real 403 (app/forbidden.tsx).
    experimental: { authInterrupts: true },
    async headers() {
      return [
        {
          source: "/:path*",
          headers: [
            { key: "X-Content-Type-Options", value: "nosniff" },
            { key: "Referrer-Policy", value: "no-referrer" },
            { key: "X-Frame-Options", value: "DENY" },
            ...developmentOnly,
          ],
        },
      ];
    },
  };
}
