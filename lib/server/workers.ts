// Several server processes on one port (GATEHOUSE_WORKERS > 1, PostgreSQL only;
// docs/decisions/0016-workers.md). The node:cluster primary does the once-only
// start work, forks the workers, replaces one that dies (until they die too
// often) and stops them all on SIGTERM/SIGINT. It serves no request itself:
// besides supervising it keeps the client limits' counters
// (lib/server/clientRateLimiter.ts) and relays the workers' notes to each other.
import cluster, { type Worker } from "node:cluster";

/** Messages between workers carry this channel name (the rate limiter's IPC uses its own). */
const CHANNEL = "gatehouse";

interface SiblingMessage {
  channel: typeof CHANNEL;
  type: string;
  data?: unknown;
}

function isSiblingMessage(message: unknown): message is SiblingMessage {
  return typeof message === "object" && message !== null && (message as SiblingMessage).channel === CHANNEL && typeof (message as SiblingMessage).type === "string";
}

/** The primary's word to a worker to stop; its data is the signal the primary got ("SIGTERM" waits for balancers). */
export const STOP_MESSAGE = "stop";

/** In a worker: tells every other worker (through the primary); a no-op in a single process. */
export function tellSiblings(type: string, data?: unknown): void {
  if (cluster.isWorker && process.send) process.send({ channel: CHANNEL, type, data } satisfies SiblingMessage);
}

/** In a worker: runs `handler` with the data when another worker tells `type`. Returns what stops listening. */
export function onSiblingMessage(type: string, handler: (data: unknown) => void): () => void {
  const listener = (message: unknown) => {
    if (isSiblingMessage(message) && message.type === type) handler(message.data);
  };
  process.on("message", listener);
  return () => process.off("message", listener);
}

/** When workers die faster than this, the primary stops replacing them and exits: a crash loop helps nobody. */
export interface RestartPolicy {
  /** Deaths allowed within `withinMs`; one more ends the installation. */
  deaths: number;
  withinMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { deaths: 5, withinMs: 60_000 };

/** Whether the deaths recorded (times in ms, oldest first) exceed the policy at `now`; drops the ones too old to count. */
export function tooManyDeaths(deaths: number[], now: number, policy: RestartPolicy): boolean {
  while (deaths.length > 0 && now - deaths[0]! > policy.withinMs) deaths.shift();
  return deaths.length > policy.deaths;
}

export interface WorkerSupervisor {
  /** Resolves when every first worker listens; rejects when one ends before that (its own message says why). */
  ready: Promise<void>;
  /** Process ids of the live workers. */
  pids(): number[];
  /**
   * Asks every worker to stop as if it had got `signal` (a STOP_MESSAGE, or SIGTERM when its channel is
   * gone: each answers /readyz with 503 for the shutdown delay on SIGTERM, finishes its in-flight requests
   * and closes its database), waits for them, SIGKILLs any still there after `graceMs`. True when all
   * ended with exit code 0.
   */
  stop(graceMs: number, signal?: string): Promise<boolean>;
}

export interface SupervisorOptions {
  count: number;
  /** The worker's script (dist/server.js). */
  exec: string;
  policy?: RestartPolicy;
  /** Workers die too often: the primary must end (exit 1); `reason` says what happened. */
  onGiveUp(reason: string): void;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/** Forks `count` workers and keeps that many running. Call once, in the cluster primary. */
export function superviseWorkers({ count, exec, policy = DEFAULT_RESTART_POLICY, onGiveUp }: SupervisorOptions): WorkerSupervisor {
  cluster.setupPrimary({ exec });
  const live = new Map<number, Worker>();
  /** Workers that listen, and so have their stop handlers in place (before that, SIGTERM just ends one). */
  const serving = new Set<number>();
  /** Workers the stop ended with SIGTERM before they listened: nothing to drain, so that end is clean. */
  const terminatedWhileStarting = new Set<number>();
  const deaths: number[] = [];
  let stopping = false;
  let started = false;
  let listening = 0;
  let allGone: (() => void) | null = null;
  /** Whether every worker asked to stop ended with exit code 0. */
  let exitCodesClean = true;

  let markReady!: () => void;
  let failReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });

  const fork = () => {
    const worker = cluster.fork();
    live.set(worker.id, worker);
    worker.once("listening", () => {
      serving.add(worker.id);
      if (!started && ++listening === count) {
        started = true;
        markReady();
      }
    });
    worker.once("exit", (code, signal) => onExit(worker, code, signal));
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    live.delete(worker.id);
    serving.delete(worker.id);
    if (stopping) {
      // Its stop failed (took too long, or its database would not close); one still starting ends by the signal itself.
      const stoppedWhileStarting = signal === "SIGTERM" && terminatedWhileStarting.has(worker.id);
      if (code !== 0 && !stoppedWhileStarting) exitCodesClean = false;
      if (live.size === 0) allGone?.();
      return;
    }
    const how = describeExit(code, signal);
    if (!started) {
      failReady(new Error(`a worker (pid ${worker.process.pid}) ended with ${how} before it was ready`));
      return;
    }
    deaths.push(Date.now());
    if (tooManyDeaths(deaths, Date.now(), policy)) {
      onGiveUp(
        `workers died ${deaths.length} times within ${policy.withinMs / 1000} s (the last, pid ${worker.process.pid}, with ${how}); ` +
          "not starting more",
      );
      return;
    }
    console.error(`Gatehouse: worker pid ${worker.process.pid} ended unexpectedly (${how}); starting another`);
    fork();
  };

  // Notes from one worker (keys rotated) reach all the others.
  cluster.on("message", (from, message: unknown) => {
    if (!isSiblingMessage(message)) return;
    for (const worker of live.values()) if (worker !== from && worker.isConnected()) worker.send(message);
  });

  for (let i = 0; i < count; i++) fork();

  return {
    ready,
    pids: () => [...live.values()].map((worker) => worker.process.pid!).filter(Boolean),
    async stop(graceMs, signal = "SIGTERM") {
      stopping = true;
      if (live.size === 0) return exitCodesClean;
      const gone = new Promise<void>((resolve) => (allGone = resolve));
      for (const worker of live.values()) {
        if (serving.has(worker.id) && worker.isConnected()) worker.send({ channel: CHANNEL, type: STOP_MESSAGE, data: signal } satisfies SiblingMessage);
        else {
          terminatedWhileStarting.add(worker.id);
          worker.process.kill("SIGTERM");
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([gone.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
      clearTimeout(timer);
      if (!inTime) {
        for (const worker of live.values()) worker.process.kill("SIGKILL");
        return false;
      }
      return exitCodesClean;
    },
  };
}
