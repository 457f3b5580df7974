// Chores that every instance runs on a timer (purging expired rows, rotating
// signing keys): the task itself decides, under a database lock, whether this
// instance does the work this time.

export interface RepeatingTask {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalSeconds`, the first time `firstDelaySeconds` after
 * start. Runs never overlap (each schedules the next when it ends), the timer
 * never keeps the process alive, and a failure goes to `onError`, never thrown.
 * `run` gets a signal that aborts when the task is stopped.
 */
export function startRepeatingTask(options: {
  intervalSeconds: number;
  firstDelaySeconds: number;
  run: (signal: AbortSignal) => Promise<void>;
  onError: (error: unknown) => void;
}): RepeatingTask {
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> | null = null;
  let stopped = false;
  const closing = new AbortController();

  const schedule = (seconds: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      current = options
        .run(closing.signal)
        .catch((error) => {
          if (!stopped) options.onError(error);
        })
        .finally(() => {
          current = null;
          schedule(options.intervalSeconds);
        });
    }, seconds * 1000);
    timer.unref();
  };

  schedule(options.firstDelaySeconds);
  return {
    async stop() {
      stopped = true;
      closing.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      await current;
    },
  };
}
