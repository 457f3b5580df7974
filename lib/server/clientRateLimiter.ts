// The client limits of lib/oauth/clientRateLimit.ts on rate-limiter-flexible.
// One process: RateLimiterMemory, counters in this process's memory, so a
// successful request pays a few map operations and no database round trip.
// node:cluster workers (GATEHOUSE_WORKERS > 1): RateLimiterCluster, the same
// counters kept once in the cluster primary and asked over the IPC channel, so
// the limits hold for the installation, not per worker (decision 0016). The
// check before a secret is verified reads only this process's refusal board:
// a worker notes the refusals its own failures run into, and the one whose
// failure crosses a limit tells the others, so an authentication asks the
// primary nothing and a success asks it once (the request budget). Behind a
// load balancer over N installations a client still gets up to N times the
// budget (docs/decisions/0012-proxies-client-limits-cors.md).
import cluster from "node:cluster";
import { RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { ClientLimits, ClientRateLimiter, Throttle } from "../oauth/clientRateLimit";
import { onSiblingMessage, tellSiblings } from "./workers";

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

/** A counter's refusal (over its limit), or null for anything else (an IPC timeout: the failure goes uncounted). */
const asRejection = (rejection: unknown): RateLimiterRes | null => (rejection instanceof RateLimiterRes ? rejection : null);

function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/** Refusals one process knows of at most; past it the oldest is forgotten (the next failure of that key notes it again). */
const MAX_REFUSALS = 10_000;

/** Keys refused until a time (epoch ms): a pair locked out, or a client over its failure limit. */
class RefusalBoard {
  readonly #until = new Map<string, number>();

  note(key: string, until: number): void {
    const known = this.#until.get(key);
    if (known !== undefined && known >= until) return;
    this.#until.delete(key); // insertion order doubles as age order
    this.#until.set(key, until);
    if (this.#until.size > MAX_REFUSALS) this.#until.delete(this.#until.keys().next().value!);
  }

  /** Milliseconds the key stays refused; 0 when it is not. */
  msLeft(key: string, now: number): number {
    const until = this.#until.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.#until.delete(key);
      return 0;
    }
    return until - now;
  }
}

/** What one worker tells the others when its failure crossed a limit. */
interface RefusalNote {
  board: "pair" | "client";
  key: string;
  until: number;
}

const REFUSAL_MESSAGE = "client-limit-refusal";

function isRefusalNote(data: unknown): data is RefusalNote {
  const note = data as RefusalNote;
  return (
    typeof data === "object" && data !== null && (note.board === "pair" || note.board === "client") && typeof note.key === "string" && typeof note.until === "number"
  );
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
  const refusals = { pair: new RefusalBoard(), client: new RefusalBoard() };
  // Workers: the others' crossings reach this process's board (the listener lives as long as the process).
  if (store === "cluster") {
    onSiblingMessage(REFUSAL_MESSAGE, (data) => {
      if (isRefusalNote(data)) refusals[data.board].note(data.key, data.until);
    });
  }
  const announce = (note: RefusalNote) => {
    if (store === "cluster") tellSiblings(REFUSAL_MESSAGE, note);
  };

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
      const now = Date.now();
      const pairMs = refusals.pair.msLeft(pairKey(clientId, address), now);
      if (pairMs > 0) return { limit: "failures", retryAfterSeconds: retryAfterSeconds(pairMs) };
      // A stranger's failures must not lock the client out where it usually works from.
      const clientMs = refusals.client.msLeft(part(clientId), now);
      if (clientMs > 0 && !(await isKnownAddress(clientId, address))) return { limit: "failures", retryAfterSeconds: retryAfterSeconds(clientMs) };
      return null;
    },

    async recordAuthenticationFailure(clientId, address) {
      if (clientFailures) {
        const key = part(clientId);
        const rejection = await clientFailures.consume(key).then(() => null, asRejection);
        if (rejection) {
          const until = Date.now() + rejection.msBeforeNext;
          refusals.client.note(key, until);
          if (rejection.consumedPoints === failuresPerClient + 1) announce({ board: "client", key, until });
        }
      }
      if (!pairFailures || !lockouts) return;
      const key = pairKey(clientId, address);
      const rejection = await pairFailures.consume(key).then(() => null, asRejection);
      if (!rejection) return;
      // Over the limit, or already locked out (a worker started after the lockout learns it here).
      refusals.pair.note(key, Date.now() + rejection.msBeforeNext);
      // Only the failure that crossed the limit: concurrent ones behind it must not add strikes.
      if (rejection.consumedPoints !== failuresPerAddress + 1) return;
      // Lock the pair out, longer each time it happens again.
      const strikes = (await lockouts.consume(key)).consumedPoints;
      const seconds = Math.min(FAILURE_WINDOW_SECONDS * 2 ** Math.min(strikes - 1, 16), MAX_LOCKOUT_SECONDS);
      await pairFailures.block(key, seconds);
      const until = Date.now() + seconds * 1000;
      refusals.pair.note(key, until);
      announce({ board: "pair", key, until });
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
