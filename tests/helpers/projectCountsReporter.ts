// A vitest reporter for scripts/test.mjs: passed, failed and skipped tests per
// project, and the summed time of each project's files. `npm test` runs the
// integration projects (PGlite, PostgreSQL, interop) in one vitest process so
// their files share the workers; this keeps one summary line per suite. The
// JSON reporter cannot: a file that runs on both backends appears there twice
// under the same path, with no project name. Writes GATEHOUSE_PROJECT_COUNTS.
import fs from "node:fs";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

export interface ProjectCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Files that failed without a failed test (a file that did not load, a failing hook). */
  failedFiles: number;
  /** The project's files' durations added up, in seconds (its share of the workers' time). */
  fileSeconds: number;
}

/** One file's run: when it was queued, started and ended (ms since the run began), for finding the critical path. */
export interface FileTiming {
  project: string;
  file: string;
  queued: number;
  start: number;
  end: number;
  /** Each test's title and duration in ms, slowest first. */
  tests: [string, number][];
}

export default class ProjectCountsReporter implements Reporter {
  private readonly began = Date.now();
  private readonly timings = new Map<string, FileTiming>();

  private timing(module: TestModule): FileTiming {
    const key = `${module.project.name} ${module.moduleId}`;
    let timing = this.timings.get(key);
    if (!timing) {
      timing = { project: module.project.name, file: module.relativeModuleId, queued: -1, start: -1, end: -1, tests: [] };
      this.timings.set(key, timing);
    }
    return timing;
  }

  onTestModuleQueued(module: TestModule): void {
    this.timing(module).queued = Date.now() - this.began;
  }

  onTestModuleStart(module: TestModule): void {
    this.timing(module).start = Date.now() - this.began;
  }

  onTestModuleEnd(module: TestModule): void {
    const timing = this.timing(module);
    timing.end = Date.now() - this.began;
    timing.tests = [...module.children.allTests()]
      .map((test): [string, number] => [test.fullName, Math.round(test.diagnostic()?.duration ?? 0)])
      .sort((a, b) => b[1] - a[1]);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const outputFile = process.env.GATEHOUSE_PROJECT_COUNTS;
    if (!outputFile) return;
    const projects: Record<string, ProjectCounts> = {};
    for (const module of testModules) {
      const name = module.project.name;
      if (!projects[name]) projects[name] = { passed: 0, failed: 0, skipped: 0, failedFiles: 0, fileSeconds: 0 };
      const counts = projects[name];
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") failedTests++;
        else counts.skipped++;
      }
      counts.failed += failedTests;
      if (module.state() === "failed" && failedTests === 0) counts.failedFiles++;
      counts.fileSeconds += module.diagnostic().duration / 1000;
    }
    fs.writeFileSync(outputFile, JSON.stringify({ projects, unhandledErrors: unhandledErrors.length, files: [...this.timings.values()] }, null, 2));
  }
}
