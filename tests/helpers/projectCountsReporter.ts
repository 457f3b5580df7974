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

export default class ProjectCountsReporter implements Reporter {
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
    fs.writeFileSync(outputFile, JSON.stringify({ projects, unhandledErrors: unhandledErrors.length }, null, 2));
  }
}
