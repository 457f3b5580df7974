import { encode, decode } from "@auth/core/jwt";
import { describe, expect, it } from "vitest";
import { AUTH_JS_CLOCK_TOLERANCE_SECONDS, DecodedCookieCache } from "../../lib/auth/decodedCookies";

const secret = "decoded-cookie-test-secret-0123456789";
const salt = "authjs.session-token";

describe("DecodedCookieCache", () => {
  it("decodes a value once and answers repeats from memory", async () => {
    const cache = new DecodedCookieCache();
    const token = await encode({ token: { sid: "s1" }, secret, salt, maxAge: 60 });
    let calls = 0;
    const real = (value: string) => {
      calls += 1;
      return decode({ token: value, secret, salt });
    };
    const first = await cache.decode(token, real);
    const second = await cache.decode(token, real);
    expect(first?.sid).toBe("s1");
    expect(second).toEqual(first);
    expect(calls).toBe(1);
  });

  it("never remembers a value that does not decode", async () => {
    const cache = new DecodedCookieCache();
    let calls = 0;
    const refusing = async () => {
      calls += 1;
      throw new Error("tampered");
    };
    await expect(cache.decode("garbage", refusing)).rejects.toThrow("tampered");
    await expect(cache.decode("garbage", refusing)).rejects.toThrow("tampered");
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it("hands an expired value back to the real decode, as if there were no cache", async () => {
    let now = 1_000_000_000_000;
    const cache = new DecodedCookieCache(10, () => now);
    const exp = Math.floor(now / 1000) + 60;
    let calls = 0;
    const decodeOnce = async () => {
      calls += 1;
      if (calls > 1) throw new Error("JWTExpired");
      return { sid: "s1", exp };
    };
    expect((await cache.decode("t", decodeOnce))?.sid).toBe("s1");
    now = (exp + AUTH_JS_CLOCK_TOLERANCE_SECONDS) * 1000; // the last instant decode still accepts
    expect((await cache.decode("t", decodeOnce))?.sid).toBe("s1");
    now += 1;
    await expect(cache.decode("t", decodeOnce)).rejects.toThrow("JWTExpired");
    expect(calls).toBe(2);
  });

  it("keeps at most its bound, dropping the least recently used", async () => {
    const cache = new DecodedCookieCache(2);
    const calls: string[] = [];
    const fake = async (value: string) => {
      calls.push(value);
      return { sid: value };
    };
    await cache.decode("a", fake);
    await cache.decode("b", fake);
    await cache.decode("a", fake); // a is now the most recent
    await cache.decode("c", fake); // drops b
    await cache.decode("a", fake);
    await cache.decode("b", fake);
    expect(cache.size).toBe(2);
    expect(calls).toEqual(["a", "b", "c", "b"]);
  });
});
