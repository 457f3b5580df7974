// Issue #10 item 9: slow clients cannot hold connections. The header and
// request timeouts and the connection cap are settings
// (GATEHOUSE_HEADER_TIMEOUT_SECONDS, GATEHOUSE_REQUEST_TIMEOUT_SECONDS,
// GATEHOUSE_MAX_CONNECTIONS); here they are short so the test is quick. Before,
// a header trickle held a connection ~85 s and a body trickle up to 300 s.
// On PostgreSQL only (integrationBackends.ts): nothing here depends on the store.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSeededServer } from "../helpers/server";

/** Opens a socket, writes `head` at once, then one byte of `trickle` every `everyMs`; resolves when the server closes it. */
function trickle(port: number, head: string, drip: string, everyMs: number, giveUpMs: number) {
  return new Promise<{ closedAfterMs: number | null; answer: string }>((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    let at = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (closedAfterMs: number | null) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedAfterMs, answer });
    };
    const giveUp = setTimeout(() => done(null), giveUpMs);
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.writable) return;
        socket.write(drip[at % drip.length]!);
        at++;
      }, everyMs);
    });
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => done(Date.now() - started));
  });
}

describe("slow clients (issue #10 item 9)", () => {
  let suite: Awaited<ReturnType<typeof startSeededServer>>;
  beforeAll(async () => {
    suite = await startSeededServer({
      GATEHOUSE_HEADER_TIMEOUT_SECONDS: "1",
      GATEHOUSE_REQUEST_TIMEOUT_SECONDS: "2",
      GATEHOUSE_MAX_CONNECTIONS: "10",
    });
  });
  afterAll(async () => {
    await suite?.stop();
  });

  // The four timeouts are waited out side by side (4 of the 10 connections), not one after another.
  describe.concurrent("timeouts", () => {
    it("a client sending its headers a byte at a time is cut after the header timeout", async () => {
      const { closedAfterMs, answer } = await trickle(suite.server.port, "GET /login HTTP/1.1\r\nHost: localhost\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaa", 300, 20_000);
      expect(closedAfterMs).not.toBeNull();
      // 1 s timeout, checked every second; generous for a loaded machine, far below node's 60 s + 30 s default.
      expect(closedAfterMs!).toBeLessThan(10_000);
      expect(answer).toMatch(/^(HTTP\/1\.1 408|$)/);
    });

    it("a client sending nothing at all is cut after the header timeout", async () => {
      const { closedAfterMs } = await trickle(suite.server.port, "", "", 60_000, 20_000);
      expect(closedAfterMs).not.toBeNull();
      expect(closedAfterMs!).toBeLessThan(10_000);
    });

    for (const [label, head] of [
      ["a protocol endpoint", "POST /connect/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"],
      ["a page (server action)", "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000\r\n\r\n"],
    ] as const) {
      it(`a body trickled to ${label} is cut after the request timeout, quietly`, async () => {
        const { closedAfterMs, answer } = await trickle(suite.server.port, head, "grant_type=client_credentials&", 250, 30_000);
        expect(closedAfterMs).not.toBeNull();
        expect(closedAfterMs!).toBeLessThan(15_000);
        expect(answer).toMatch(/^(HTTP\/1\.1 408|$)/);
        expect(suite.server.output()).not.toMatch(/^\s+at |aborted|⨯/m);
      });
    }
  });

  it("connections beyond GATEHOUSE_MAX_CONNECTIONS are closed at once; the server serves again when they go", async () => {
    const sockets: net.Socket[] = [];
    const closedEarly: number[] = [];
    await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        new Promise<void>((resolve) => {
          const socket = net.connect(suite.server.port, "127.0.0.1");
          sockets.push(socket);
          socket.on("error", () => undefined);
          socket.on("close", () => closedEarly.push(i));
          // A request that never finishes its headers keeps the connection open (until the header timeout).
          socket.on("connect", () => {
            socket.write("GET /login HTTP/1.1\r\n");
            resolve();
          });
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 400));
    // At most 10 held (the test's own earlier keep-alive connection may take a place too).
    expect(closedEarly.length).toBeGreaterThanOrEqual(4);
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const response = await fetch(`${suite.server.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
  });
});
