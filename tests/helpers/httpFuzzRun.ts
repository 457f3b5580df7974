// Runs a fast-check fuzz of malformed requests against a started server and
// asserts that none is answered with a 5xx or left hanging. Shared by the long
// run (tests/faults) and the short one (tests/integration). No test-runner imports.
import fc from "fast-check";
import { buildActionIds, describeRequest, fuzzRequests, send, serialize, type FuzzOutcome } from "./httpFuzz";
import { signInOverHttp } from "./portal";
import { TEST_ADMIN_PASSWORD } from "./server";

/**
 * What the server logged for malformed requests before issue #10: the fast lane's and the OAuth
 * handlers' error traces, the Fetch API refusing TRACE, Next.js failing on a form body, @auth/core's
 * "configuration" error for a junk callbackUrl, and aborted uploads.
 */
export const UNWANTED_LOG_LINES = /fast lane failure|unexpected error|HTTP method is unsupported|Failed to parse body as FormData|InvalidCallbackUrl|Error: aborted|Invariant: Expected RSC response|URIError/;

export interface FuzzRunOptions {
  url: string;
  port: number;
  seed: number;
  /** Property runs; each sends `batch` requests at once. */
  runs: number;
  batch: number;
  /** Stop generating new runs after this long (the runs done so far must still pass). */
  timeLimitMs: number;
  requestTimeoutMs: number;
  log: (line: string) => void;
}

export interface FuzzReport {
  sent: number;
  statuses: Record<string, number>;
}

/**
 * Only a body larger than any endpoint reads may be cut off unanswered: the server answers 413 as soon
 * as the limit is passed and closes, and the client may see the reset before the status line. Every
 * other malformed request must get an HTTP answer.
 */
export const LARGEST_BODY_ANSWERED = 64 * 1024;

function mayCloseWithoutAnswer(request: { body: Buffer | null }): boolean {
  return request.body !== null && request.body.length > LARGEST_BODY_ANSWERED;
}

export async function fuzzServer(options: FuzzRunOptions): Promise<FuzzReport> {
  const host = new URL(options.url).host;
  const signedIn = await signInOverHttp(options.url, "admin", TEST_ADMIN_PASSWORD);
  if (!signedIn.cookie) throw new Error("the admin could not sign in for the fuzz run");
  const requests = fuzzRequests({ host, actionIds: buildActionIds(), sessionCookie: signedIn.cookie });
  const statuses: Record<string, number> = {};
  let sent = 0;
  options.log(`HTTP fuzz: seed ${options.seed}, up to ${options.runs} runs of ${options.batch} requests (GATEHOUSE_FUZZ_SEED=${options.seed} replays it)`);
  await fc.assert(
    fc.asyncProperty(fc.array(requests, { minLength: 1, maxLength: options.batch }), async (batch) => {
      const outcomes: FuzzOutcome[] = await Promise.all(batch.map((request) => send(options.port, serialize(request, host), options.requestTimeoutMs)));
      sent += batch.length;
      outcomes.forEach((outcome, i) => {
        const key = String(outcome.status);
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (outcome.status === "timeout" || (typeof outcome.status === "number" && outcome.status >= 500)) {
          throw new Error(`answered ${outcome.status}:\n${describeRequest(batch[i]!)}`);
        }
        if (outcome.status === "closed" && !mayCloseWithoutAnswer(batch[i]!)) {
          throw new Error(`connection closed without an answer:\n${describeRequest(batch[i]!)}`);
        }
      });
    }),
    { seed: options.seed, numRuns: options.runs, interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false, endOnFailure: false },
  );
  options.log(`HTTP fuzz: ${sent} requests, statuses ${JSON.stringify(statuses)}`);
  return { sent, statuses };
}
