// The client limits of lib/oauth/clientRateLimit.ts on rate-limiter-flexible.
// One process: RateLimiterMemory, counters in this process's memory, so a
// successful request pays a few map operations and no database round trip.
// node:cluster workers (GATEHOUSE_WORKERS > 1): RateLimiterCluster, the same
// counters kept once in the cluster primary and asked over the IPC channel, so
// the limits hold for the installation, not per worker (decision 0016). Behind
// a load balancer over N installations a client still gets up to N times the
// budget (docs/decisions/0012-proxies-client-limits-cors.md).
import cluster from "node:cluster";
import { RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { ClientLimits, ClientRateLimiter, Throttle } from "../oauth/clientRateLimit";

/** The counters a limiter keeps: in this process, or in the cluster primary for every worker. */
export type LimiterStore = "process" | "cluster";

/** Where the counters live by default: a cluster worker shares the primary's. */
export const defaultLimiterStore = (): LimiterStore => (cluster.isWorker ? "cluster" : "process");

/**
 * In the cluster primary, before the first worker is forked: keeps every worker's counters
 * (a worker's limiter that starts before this exists waits for an answer that never comes).
 */
export function serveClientLimitsToWorkers(): void {
  new RateLimiterClusterMaster();
}

/** How long a worker waits for the primary's answer; the primary does nothing else, so this only trips when it is gone. */
const CLUSTER_TIMEOUT_MS = 2000;

/** One counter family; keyPrefix names it in the primary, so it must be unique. */
interface LimiterOptions {
  keyPrefix: string;
  points: number;
  duration: number;
}

function createLimiter(store: LimiterStore, options: LimiterOptions): RateLimiterAbstract {
  return store === "cluster" ? new RateLimiterCluster({ ...options, timeoutMs: CLUSTER_TIMEOUT_MS }) : new RateLimiterMemory(options);
}

const FAILURE_WINDOW_SECONDS = 60;
/** The first lockout lasts one window; each further one within a day doubles, up to an hour. */
const LOCKOUT_MEMORY_SECONDS = 24 * 3600;
const MAX_LOCKOUT_SECONDS = 3600;
/** How long an address stays "known" for a client after it authenticated from there. */
const KNOWN_ADDRESS_SECONDS = 24 * 3600;
/** A known address is told to the shared store at most this often per pair (keeps the hot path local). */
const REMEMBER_AGAIN_MS = 60_000;
const MAX_REMEMBERED_HERE = 10_000;
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

export function createClientRateLimiter(limits: ClientLimits, store: LimiterStore = defaultLimiterStore()): ClientRateLimiter {
  const { requests, failuresPerAddress, failuresPerClient } = limits;
  const limiter = (options: LimiterOptions) => createLimiter(store, options);
  const pairFailures = failuresPerAddress > 0 ? limiter({ keyPrefix: "pair", points: failuresPerAddress, duration: FAILURE_WINDOW_SECONDS }) : null;
  const lockouts = failuresPerAddress > 0 ? limiter({ keyPrefix: "lockouts", points: 1_000_000, duration: LOCKOUT_MEMORY_SECONDS }) : null;
  const clientFailures = failuresPerClient > 0 ? limiter({ keyPrefix: "client", points: failuresPerClient, duration: FAILURE_WINDOW_SECONDS }) : null;
  const clientRequests = requests.points > 0 ? limiter({ keyPrefix: "requests", points: requests.points, duration: requests.seconds }) : null;
  // Pairs that authenticated: kept where the other counters are, so every worker knows them.
  const knownAddresses = failuresPerClient > 0 ? limiter({ keyPrefix: "known", points: 1_000_000, duration: KNOWN_ADDRESS_SECONDS }) : null;
  // When this process last told the store about a pair; insertion order doubles as age order (oldest dropped first).
  const rememberedHere = new Map<string, number>();

  async function isKnownAddress(clientId: string, address: string | null): Promise<boolean> {
    const key = pairKey(clientId, address);
    const seen = rememberedHere.get(key);
    if (seen !== undefined && Date.now() - seen < REMEMBER_AGAIN_MS) return true;
    const known = await knownAddresses?.get(key);
    return known !== null && known !== undefined && known.msBeforeNext > 0;
  }

  async function rememberAddress(clientId: string, address: string | null): Promise<void> {
    const key = pairKey(clientId, address);
    const seen = rememberedHere.get(key);
    const now = Date.now();
    if (seen !== undefined && now - seen < REMEMBER_AGAIN_MS) return; // fresh enough: keep the hot path to one lookup
    rememberedHere.delete(key);
    rememberedHere.set(key, now);
    if (rememberedHere.size > MAX_REMEMBERED_HERE) rememberedHere.delete(rememberedHere.keys().next().value!);
    // The window counts from a pair's first success; one that ran out starts again here.
    await knownAddresses?.consume(key).catch(() => undefined);
  }

  return {
    async checkAuthentication(clientId, address) {
      // Both counters at once: with workers each is a round trip to the primary.
      const [pair, client] = await Promise.all([pairFailures?.get(pairKey(clientId, address)), clientFailures?.get(part(clientId))]);
      if (pair && overLimit(pair, failuresPerAddress)) return { limit: "failures", retryAfterSeconds: retryAfterSeconds(pair.msBeforeNext) };
      // A stranger's failures must not lock the client out where it usually works from.
      if (client && overLimit(client, failuresPerClient) && !(await isKnownAddress(clientId, address))) {
        return { limit: "failures", retryAfterSeconds: retryAfterSeconds(client.msBeforeNext) };
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
      if (clientFailures) await rememberAddress(clientId, address);
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
