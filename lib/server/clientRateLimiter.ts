// The client limits of lib/oauth/clientRateLimit.ts on rate-limiter-flexible's
// RateLimiterMemory: counters in this process's memory, so a successful
// request pays a few map operations and no database round trip. Each instance
// counts for itself: behind a load balancer over N instances a client gets up
// to N times the budget (docs/decisions/0012-proxies-client-limits-cors.md).
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { ClientLimits, ClientRateLimiter, Throttle } from "../oauth/clientRateLimit";

const FAILURE_WINDOW_SECONDS = 60;
/** The first lockout lasts one window; each further one within a day doubles, up to an hour. */
const LOCKOUT_MEMORY_SECONDS = 24 * 3600;
const MAX_LOCKOUT_SECONDS = 3600;
/** How long an address stays "known" for a client after it authenticated from there. */
const KNOWN_ADDRESS_MS = 24 * 3600 * 1000;
const MAX_KNOWN_ADDRESSES = 10_000;
/** Keys are bounded: no real client_id is this long, so cutting one merges nothing real. */
const MAX_KEY_PART = 256;

const part = (text: string | null) => (text ?? "unknown").slice(0, MAX_KEY_PART);
const pairKey = (clientId: string, address: string | null) => `${part(clientId)}\n${part(address)}`;

function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/** Whether a stored counter (from `get`) has gone past its limit and has not expired yet. */
function overLimit(res: RateLimiterRes | null, points: number): res is RateLimiterRes {
  return res !== null && res.consumedPoints > points && res.msBeforeNext > 0;
}

export function createClientRateLimiter(limits: ClientLimits): ClientRateLimiter {
  const { requests, failuresPerAddress, failuresPerClient } = limits;
  const pairFailures =
    failuresPerAddress > 0 ? new RateLimiterMemory({ keyPrefix: "pair", points: failuresPerAddress, duration: FAILURE_WINDOW_SECONDS }) : null;
  const lockouts = failuresPerAddress > 0 ? new RateLimiterMemory({ keyPrefix: "lockouts", points: 1_000_000, duration: LOCKOUT_MEMORY_SECONDS }) : null;
  const clientFailures =
    failuresPerClient > 0 ? new RateLimiterMemory({ keyPrefix: "client", points: failuresPerClient, duration: FAILURE_WINDOW_SECONDS }) : null;
  const clientRequests = requests.points > 0 ? new RateLimiterMemory({ keyPrefix: "requests", points: requests.points, duration: requests.seconds }) : null;
  // Insertion order doubles as age order: the oldest entry is dropped first.
  const knownAddresses = new Map<string, number>();

  function isKnownAddress(clientId: string, address: string | null): boolean {
    const seen = knownAddresses.get(pairKey(clientId, address));
    return seen !== undefined && Date.now() - seen < KNOWN_ADDRESS_MS;
  }

  function rememberAddress(clientId: string, address: string | null): void {
    const key = pairKey(clientId, address);
    const seen = knownAddresses.get(key);
    const now = Date.now();
    if (seen !== undefined && now - seen < 60_000) return; // fresh enough: keep the hot path to one lookup
    knownAddresses.delete(key);
    knownAddresses.set(key, now);
    if (knownAddresses.size > MAX_KNOWN_ADDRESSES) knownAddresses.delete(knownAddresses.keys().next().value!);
  }

  return {
    async checkAuthentication(clientId, address) {
      if (pairFailures) {
        const pair = await pairFailures.get(pairKey(clientId, address));
        if (overLimit(pair, failuresPerAddress)) return { limit: "failures", retryAfterSeconds: retryAfterSeconds(pair.msBeforeNext) };
      }
      if (clientFailures) {
        // A stranger's failures must not lock the client out where it usually works from.
        const client = await clientFailures.get(part(clientId));
        if (overLimit(client, failuresPerClient) && !isKnownAddress(clientId, address)) {
          return { limit: "failures", retryAfterSeconds: retryAfterSeconds(client.msBeforeNext) };
        }
      }
      return null;
    },

    async recordAuthenticationFailure(clientId, address) {
      if (clientFailures) await clientFailures.consume(part(clientId)).catch(() => undefined);
      if (!pairFailures || !lockouts) return;
      const key = pairKey(clientId, address);
      const crossed = await pairFailures.consume(key).then(
        () => false,
        // Only the failure that crossed the limit: concurrent ones behind it must not add strikes.
        (rejection: unknown) => rejection instanceof RateLimiterRes && rejection.consumedPoints === failuresPerAddress + 1,
      );
      if (!crossed) return;
      // Lock the pair out, longer each time it happens again.
      const strikes = (await lockouts.consume(key)).consumedPoints;
      const seconds = Math.min(FAILURE_WINDOW_SECONDS * 2 ** Math.min(strikes - 1, 16), MAX_LOCKOUT_SECONDS);
      await pairFailures.block(key, seconds);
    },

    async admitAuthenticatedRequest(clientId, address) {
      if (clientFailures) rememberAddress(clientId, address);
      if (!clientRequests) return null;
      try {
        await clientRequests.consume(part(clientId));
        return null;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { limit: "requests", retryAfterSeconds: retryAfterSeconds(rejection.msBeforeNext) } satisfies Throttle;
      }
    },
  };
}
