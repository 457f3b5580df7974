// Pages written outside Next.js (the authorization error page, the logout
// confirmation, the cross-site refusal) style themselves with one inline
// <style> element that their policy allows by hash: no 'unsafe-inline' (issue #10 item 8).
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, it } from "vitest";
import { guardServerActionOrigin } from "@/lib/auth/crossOriginGuard";
import { errorPageResponse } from "@/lib/oauth/errorPage";
import { expectStylesAllowedByHash } from "../helpers/inlineStyles";

describe("inline styles of the pages written outside Next.js", () => {
  it("the authorization error page's stylesheet is allowed by its hash, nothing inline otherwise", async () => {
    const response = errorPageResponse({ title: "Unknown application", message: "No such client.", code: "invalid_request" });
    expectStylesAllowedByHash(await response.text(), response.headers.get("content-security-policy"));
  });

  it("the cross-site refusal page's stylesheet is allowed by its hash", async () => {
    const req = Object.assign(new EventEmitter(), {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x", host: "id.example.test", origin: "https://evil.example" },
      rawHeaders: [],
      socket: { remoteAddress: "127.0.0.1", encrypted: false },
      destroy() {},
    }) as unknown as IncomingMessage;
    let headers: Record<string, string> = {};
    let body = "";
    const done = new Promise<void>((resolve) => {
      const res = {
        writeHead(_status: number, sent: Record<string, string>) {
          headers = sent;
        },
        end(payload: string) {
          body = payload;
          resolve();
        },
        destroy() {},
      } as unknown as ServerResponse;
      guardServerActionOrigin(req, res);
    });
    req.emit("end");
    await done;
    expectStylesAllowedByHash(body, headers["Content-Security-Policy"] ?? null);
  });
});
