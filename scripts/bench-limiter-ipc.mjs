// `node scripts/bench-limiter-ipc.mjs`: what a client-limit check costs a
// worker (decision 0016): rate-limiter-flexible's RateLimiterMemory in the
// process against RateLimiterCluster, whose counters live in the cluster
// primary and are asked over the IPC channel. One worker, 20,000 consumes one
// after another, then 20,000 with 16 in flight; microseconds per operation.
import cluster from "node:cluster";
import { RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory } from "rate-limiter-flexible";

const OPERATIONS = 20_000;
const IN_FLIGHT = 16;

async function timePerOperation(limiter, concurrency) {
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < OPERATIONS / concurrency; i++) await limiter.consume("client");
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e3 / OPERATIONS;
}

if (cluster.isPrimary) {
  new RateLimiterClusterMaster();
  cluster.fork().on("exit", (code) => process.exit(code ?? 1));
} else {
  const options = { points: 1e9, duration: 60 };
  const limiters = [
    ["RateLimiterMemory (one process)", new RateLimiterMemory({ ...options, keyPrefix: "memory" })],
    ["RateLimiterCluster (workers)", new RateLimiterCluster({ ...options, keyPrefix: "cluster" })],
  ];
  for (const [name, limiter] of limiters) {
    for (let i = 0; i < 2_000; i++) await limiter.consume("client"); // warm-up (and the cluster limiter's init)
    const sequential = await timePerOperation(limiter, 1);
    const concurrent = await timePerOperation(limiter, IN_FLIGHT);
    console.log(`${name}: ${sequential.toFixed(1)} µs per operation one after another, ${concurrent.toFixed(1)} µs with ${IN_FLIGHT} in flight`);
  }
  process.exit(0);
}
