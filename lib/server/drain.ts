// A stop that lets the requests already being served finish: the listener
// closes, idle keep-alive connections close, each response in flight goes out
// with "Connection: close", and what is still open after the grace time is cut.
import type { Server, ServerResponse } from "node:http";

export interface Drain {
  /** Stops accepting, waits up to `graceMs` for the responses in flight, then closes every connection left. */
  close(graceMs: number): Promise<void>;
  /** Responses being written now. */
  inFlight(): number;
}

export function drainOnClose(server: Server): Drain {
  const active = new Set<ServerResponse>();
  let closing = false;
  let drained: (() => void) | null = null;

  server.on("request", (_request, response: ServerResponse) => {
    active.add(response);
    if (closing) response.shouldKeepAlive = false;
    response.once("close", () => {
      active.delete(response);
      if (!closing) return;
      server.closeIdleConnections(); // the connection that just finished, if the client kept it
      if (active.size === 0) drained?.();
    });
  });

  return {
    inFlight: () => active.size,
    async close(graceMs) {
      closing = true;
      // Headers not yet sent: the client learns the connection ends with this response.
      for (const response of active) if (!response.headersSent) response.shouldKeepAlive = false;
      server.close();
      server.closeIdleConnections();
      if (active.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
    },
  };
}
