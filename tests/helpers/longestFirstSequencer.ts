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
 * Seconds each long file took in `npm test` on the 2-core machine (2026-12-08 01:17, the layout after issue
 * #11's third pass; only their order matters); files not listed take DEFAULT_SECONDS.
 */
const EXPECTED_SECONDS: Record<string, number> = {
  "integration:tests/integration/backup.test.ts": 27,
  "integration-postgres:tests/integration/signinThrottle.test.ts": 19,
  "integration:tests/integration/configAsCode.test.ts": 18,
  "integration-postgres:tests/integration/shutdown.test.ts": 17,
  "integration:tests/integration/securityHeaders.test.ts": 15,
  "integration:tests/integration/database.test.ts": 15,
  "integration-postgres:tests/integration/database.test.ts": 15,
  "integration-postgres:tests/integration/firstAdministrator.test.ts": 14,
  "integration-postgres:tests/integration/workers.test.ts": 13,
  "integration-postgres:tests/integration/webhooks.test.ts": 13,
  "integration-postgres:tests/integration/demoData.test.ts": 13,
  "integration:tests/integration/signin.test.ts": 11,
  "integration-postgres:tests/integration/refreshToken.test.ts": 11,
  "integration-postgres:tests/integration/metrics.test.ts": 11,
  "interop:tests/interop/openidClient.test.ts": 10,
  "integration:tests/integration/keyRotation.test.ts": 10,
  "integration:tests/integration/authorize.test.ts": 10,
  "integration:tests/integration/anonymousStorage.test.ts": 10,
  "interop:tests/interop/authCoreRelyingParty.test.ts": 9,
  "integration-postgres:tests/integration/catalogAcrossInstances.test.ts": 9,
  "integration-postgres:tests/integration/accountGrants.test.ts": 9,
  "integration-postgres:tests/integration/proxiesAndClientLimits.test.ts": 8,
  "integration-postgres:tests/integration/idToken.test.ts": 8,
  "integration-postgres:tests/integration/httpFuzz.test.ts": 8,
  "integration:tests/integration/nextRoutes.test.ts": 7,
  "integration:tests/integration/managementApi.test.ts": 7,
  "integration:tests/integration/dashboardAccess.test.ts": 7,
  "integration-postgres:tests/integration/userDisable.test.ts": 7,
  "integration-postgres:tests/integration/slowClients.test.ts": 7,
  "integration-postgres:tests/integration/keyRotation.test.ts": 7,
  "integration:tests/integration/token.test.ts": 6,
  "integration-postgres:tests/integration/purgeSchedule.test.ts": 6,
  "integration-postgres:tests/integration/passwordRevocation.test.ts": 6,
  "integration-postgres:tests/integration/auditLog.test.ts": 6,
  "integration:tests/integration/demoData.test.ts": 5,
  "integration-postgres:tests/integration/requestLogs.test.ts": 5,
  "integration-postgres:tests/integration/health.test.ts": 5,
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
