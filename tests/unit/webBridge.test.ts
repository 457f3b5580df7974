import { describe, expect, it } from "vitest";
import { skippingNextRouterFetches } from "@/lib/server/webBridge";

describe("Next.js router fetches never run a protocol handler", () => {
  it("an RSC probe of /connect/authorize is answered without calling the handler; a real request is not", async () => {
    let calls = 0;
    const guarded = skippingNextRouterFetches(async () => {
      calls++;
      return new Response("handled");
    });
    const probe = await guarded(new Request("http://localhost/connect/authorize?interaction=x", { headers: { rsc: "1" } }));
    expect(probe.status).toBe(200);
    expect(await probe.text()).toBe("");
    expect(calls).toBe(0);
    expect(await (await guarded(new Request("http://localhost/connect/authorize?interaction=x"))).text()).toBe("handled");
    expect(calls).toBe(1);
  });
});
