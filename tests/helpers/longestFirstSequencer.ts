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

/**
 * Seconds each long file took in `npm test` on the 2-core machine (2026-12-07, under a load average near
 * 17: only their order matters); files not listed take DEFAULT_SECONDS.
 */
const EXPECTED_SECONDS: Record<string, number> = {
  // Added with issue #13's operations (clean clone, 2026-12-07 22:00, load average 4-9).
  // backup and configAsCode: PGlite project only since h/cli; estimated from their CPU time against the old
  // files' (64 s against 125 s for the two, back to back under a load average near 20).
  "integration:tests/integration/backup.test.ts": 45,
  "integration:tests/integration/configAsCode.test.ts": 28,
  // The first-start files after their server starts were cut (2026-12-08): the earlier npm test figures
  // scaled by each file's CPU seconds after/before, run back to back (load average 19-28).
  "integration:tests/integration/database.test.ts": 60,
  "integration-postgres:tests/integration/database.test.ts": 56,
  "integration-postgres:tests/integration/firstAdministrator.test.ts": 31,
  "integration-postgres:tests/integration/demoData.test.ts": 30,
  "integration:tests/integration/demoData.test.ts": 20,
  "integration-postgres:tests/integration/signinThrottle.test.ts": 63,
  "integration:tests/integration/signin.test.ts": 60,
  // Issue #11 item 1, files moved to one backend (2026-12-07): the PGlite half of keyRotation runs one
  // CLI fewer; anonymousStorage starts two servers instead of three.
  "integration:tests/integration/keyRotation.test.ts": 46,
  "integration-postgres:tests/integration/keyRotation.test.ts": 46,
  "integration:tests/integration/anonymousStorage.test.ts": 32,
  "interop:tests/interop/openidClient.test.ts": 34,
  "integration:tests/integration/authorize.test.ts": 33,
  "integration-postgres:tests/integration/idToken.test.ts": 33,
  "interop:tests/interop/authCoreRelyingParty.test.ts": 28,
  "integration-postgres:tests/integration/passwordRevocation.test.ts": 23,
  "integration-postgres:tests/integration/userDisable.test.ts": 23,
  "integration-postgres:tests/integration/catalogAcrossInstances.test.ts": 21,
  "integration-postgres:tests/integration/tokenLifecycle.test.ts": 21,
  "integration-postgres:tests/integration/codeGrant.test.ts": 20,
  "integration-postgres:tests/integration/accountGrants.test.ts": 20,
  "integration-postgres:tests/integration/purgeSchedule.test.ts": 18,
  "integration:tests/integration/nextRoutes.test.ts": 18,
  "integration-postgres:tests/integration/auditLog.test.ts": 17,
  "integration-postgres:tests/integration/refreshToken.test.ts": 16,
  "integration:tests/integration/token.test.ts": 15,
  // Fewer starts, shorter waits, some moved to PostgreSQL (h/servers): these files run together under a
  // load average near 20 (2026-12-08), scaled to the load of the list above.
  "integration:tests/integration/securityHeaders.test.ts": 80,
  "integration-postgres:tests/integration/shutdown.test.ts": 65,
  "integration-postgres:tests/integration/workers.test.ts": 60,
  "integration-postgres:tests/integration/metrics.test.ts": 45,
  "integration-postgres:tests/integration/webhooks.test.ts": 44,
  "integration-postgres:tests/integration/httpFuzz.test.ts": 40,
  "integration-postgres:tests/integration/proxiesAndClientLimits.test.ts": 26,
  "integration-postgres:tests/integration/slowClients.test.ts": 20,
};

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
