// A stop that lets the requests already being served finish: the listener
// closes, idle keep-alive connections close, each response in flight goes out
// with "Connection: close", and what is still open after the grace time is cut
// (issue #13 item 4; docs/decisions/0017-operations-health-shutdown-config.md).
import type { Server, ServerResponse } from "node:http";
import net from "node:net";

export interface Drain {
  /**
   * From now on every response ends its connection ("Connection: close") while the listener still
   * accepts: clients and balancers holding keep-alive connections reconnect, and may land elsewhere.
   */
  announce(): void;
  /** Stops accepting, waits up to `graceMs` for the responses in flight, then closes every connection left. */
  close(graceMs: number): Promise<void>;
  /** Responses being written now. */
  inFlight(): number;
}

/**
 * How long a connection accepted just before the listener closed has to present its request before it
 * counts as idle. node:http's own close() cuts every connection without a request under way at once,
 * among them one accepted a moment ago whose request is still in the socket's buffer: its client would
 * see a reset for a request the kernel had accepted.
 */
export const FRESH_CONNECTION_GRACE_MS = 1_000;

export function drainOnClose(server: Server): Drain {
  const active = new Set<ServerResponse>();
  let announced = false;
  /** Idle connections are being closed (after the fresh connections' grace). */
  let cuttingIdle = false;
  let drained: (() => void) | null = null;

  server.on("request", (_request, response: ServerResponse) => {
    active.add(response);
    if (announced) response.shouldKeepAlive = false;
    response.once("close", () => {
      active.delete(response);
      if (!cuttingIdle) return;
      server.closeIdleConnections(); // the connection that just finished, if the client kept it
      if (active.size === 0) drained?.();
    });
  });

  const announce = () => {
    announced = true;
    // Headers not yet sent: the client learns the connection ends with this response.
    for (const response of active) if (!response.headersSent) response.shouldKeepAlive = false;
  };

  return {
    inFlight: () => active.size,
    announce,
    async close(graceMs) {
      announce();
      const deadline = Date.now() + graceMs;
      // net.Server's close stops accepting and leaves the open connections alone (see FRESH_CONNECTION_GRACE_MS).
      net.Server.prototype.close.call(server);
      // Only a connection without a response under way can be such a one: with none, nothing to wait for.
      const open = await new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? Number.POSITIVE_INFINITY : count)));
      if (open > active.size) await new Promise((resolve) => setTimeout(resolve, Math.min(FRESH_CONNECTION_GRACE_MS, graceMs)));
      cuttingIdle = true;
      server.closeIdleConnections();
      if (active.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
    },
  };
}
