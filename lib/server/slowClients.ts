// How long a client may take, and how many may be connected at once
// (GATEHOUSE_HEADER_TIMEOUT_SECONDS, GATEHOUSE_REQUEST_TIMEOUT_SECONDS,
// GATEHOUSE_MAX_CONNECTIONS; docs/decisions/0011-http-edges-and-slow-clients.md).
import type { Server, ServerOptions } from "node:http";
import type { HttpLimits } from "../settings";

/**
 * node:http checks the header and request timeouts only every
 * connectionsCheckingInterval (30 s by default), so a 10 s header timeout
 * really let a slow-loris client stay up to 40 s (60 + 30 s before). Checking
 * every second makes the configured times the real ones, within a second.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

export function slowClientServerOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headerTimeoutSeconds * 1000,
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  };
}

/** Connections beyond the cap are closed as soon as they are accepted (node:net maxConnections). */
export function capConnections(server: Server, limits: HttpLimits): void {
  server.maxConnections = limits.maxConnections;
}
