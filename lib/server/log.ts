// The server's log (pino): JSON lines on stdout, human-readable when stdout is a terminal, from the level
// GATEHOUSE_LOG_LEVEL names (docs/decisions/0019-logs-and-metrics.md). Each node:cluster worker writes its own
// lines to the stdout it shares with the primary; a line is one write, so lines do not interleave.
import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "../settings";

export type { Logger };

const LOGGER_KEY = Symbol.for("gatehouse.logger");
type GlobalWithLogger = typeof globalThis & { [LOGGER_KEY]?: Logger };

function loggerOptions(level: LogLevel): pino.LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" rather than 30: what people grep for.
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * A logger writing to `destination`, or to stdout: asynchronously through sonic-boom when stdout is not a
 * terminal (a request never waits for the pipe; what is buffered is written out at exit), through
 * pino-pretty when it is.
 */
export async function createLogger(level: LogLevel, destination?: DestinationStream): Promise<Logger> {
  if (destination) return pino(loggerOptions(level), destination);
  if (process.stdout.isTTY) {
    const { default: pretty } = await import("pino-pretty");
    return pino(loggerOptions(level), pretty({ colorize: true, singleLine: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid", sync: true }));
  }
  const stdout = pino.destination({ fd: 1, sync: false });
  // A reader that went away (EPIPE) must not take the server down with an unhandled 'error'.
  stdout.on("error", () => undefined);
  // process.exit() does not wait for an asynchronous write: flush what is buffered on the way out.
  process.once("exit", () => {
    try {
      stdout.flushSync();
    } catch {
      // stdout is gone (the reader closed the pipe): nothing can be written anyway.
    }
  });
  return pino(loggerOptions(level), stdout);
}

/** Makes `logger` the process's log (server.ts, once at start). */
export function installLogger(logger: Logger): void {
  (globalThis as GlobalWithLogger)[LOGGER_KEY] = logger;
}

let fallback: Logger | undefined;

/** The process's log; before server.ts installed one (a unit test, a tool), an info-level one on stdout. */
export function log(): Logger {
  const installed = (globalThis as GlobalWithLogger)[LOGGER_KEY];
  if (installed) return installed;
  fallback ??= pino(loggerOptions("info"));
  return fallback;
}
