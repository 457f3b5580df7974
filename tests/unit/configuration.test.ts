// The configuration schema (lib/settings.ts, issue #13 item 5): every variable
// parsed by one zod schema, each refusal naming the variable, the problem and
// an example, and the --check-config report. The README's table is held to the
// schema in readmeConfiguration.test.ts; the built server's start in
// tests/integration/configuration.test.ts.
import { describe, expect, it } from "vitest";
import { CONFIGURATION_VARIABLES, ConfigurationError, checkConfiguration, readSettings, variableInfo, type Environment } from "@/lib/settings";

const POSTGRES = "postgresql://gatehouse:db-password-123@db.internal:5432/gatehouse";

function refusal(env: Environment): ConfigurationError {
  try {
    readSettings(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe("CONFIGURATION_SCHEMA", () => {
  it("gives every variable its default when the environment is empty (or a variable is empty)", () => {
    const settings = readSettings({ GATEHOUSE_ROOT: "/srv/gatehouse", GATEHOUSE_DEMO: "" });
    expect(settings).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      issuer: "http://localhost:3000",
      dataDir: "/srv/gatehouse/data",
      databaseUrl: undefined,
      secret: undefined,
      accessTokenLifetime: 3600,
      accessTokenSigningAlg: "RS256",
      poolSize: 10,
      keyRefreshSeconds: 60,
      demo: false,
      logLevel: "info",
      auditRetentionDays: 90,
      purgeIntervalSeconds: 3600,
      http: { headerTimeoutSeconds: 10, requestTimeoutSeconds: 30, maxConnections: 1000 },
      workers: 1,
      shutdown: { delaySeconds: 5, timeoutSeconds: 30 },
      metrics: { enabled: true, token: undefined },
      clientLimits: { requests: { points: 10_000, seconds: 1 }, failuresPerAddress: 10, failuresPerClient: 100 },
    });
  });

  it("takes every variable's own example", () => {
    for (const name of CONFIGURATION_VARIABLES) {
      const env: Record<string, string> = { [name]: variableInfo(name).example };
      if (name === "GATEHOUSE_WORKERS") env.DATABASE_URL = POSTGRES; // more than one worker needs PostgreSQL
      if (name === "GATEHOUSE_WEBHOOK_URL") env.GATEHOUSE_WEBHOOK_SECRET = variableInfo("GATEHOUSE_WEBHOOK_SECRET").example; // deliveries are signed
      expect(() => readSettings(env), `${name}=${env[name]}`).not.toThrow();
    }
  });

  it.each([
    ["GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS", "soon", /^GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS must be a positive integer; got "soon"\. Example: GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS=60$/],
    ["GATEHOUSE_SHUTDOWN_DELAY_SECONDS", "-1", /^GATEHOUSE_SHUTDOWN_DELAY_SECONDS must be a whole number \(0 disables it\); got "-1"\. Example: GATEHOUSE_SHUTDOWN_DELAY_SECONDS=10$/],
    ["PORT", "80a", /^PORT must be a positive integer; got "80a"\. Example: PORT=3000$/],
    ["GATEHOUSE_ACCESS_TOKEN_ALG", "HS256", /^GATEHOUSE_ACCESS_TOKEN_ALG must be RS256 or ES256; got "HS256"\. Example: GATEHOUSE_ACCESS_TOKEN_ALG=ES256$/],
    ["GATEHOUSE_ISSUER", "http://id.example.com", /https.*Example: GATEHOUSE_ISSUER=https:\/\/id\.example\.com$/],
    ["DATABASE_URL", "mysql://x", /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL\. Example: DATABASE_URL=postgresql:/],
    ["GATEHOUSE_LOG_LEVEL", "verbose", /^GATEHOUSE_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got "verbose"\. Example: GATEHOUSE_LOG_LEVEL=debug$/],
  ])("refuses %s=%s naming the variable, the problem and an example", (name, value, message) => {
    const error = refusal({ [name]: value });
    expect(error.problems.map((problem) => problem.variable)).toEqual([name]);
    expect(error.message).toMatch(message);
  });

  it("lists every invalid variable at once, cross-variable rules included", () => {
    const error = refusal({ PORT: "x", GATEHOUSE_DB_POOL_SIZE: "0", GATEHOUSE_HEADER_TIMEOUT_SECONDS: "40" });
    expect(error.problems.map((problem) => problem.variable)).toEqual(["PORT", "GATEHOUSE_DB_POOL_SIZE"]);
    expect(error.message).toMatch(/^2 settings are invalid:\n {2}PORT must be .*\n {2}GATEHOUSE_DB_POOL_SIZE must be a positive integer; got "0"\. Example: GATEHOUSE_DB_POOL_SIZE=20$/);
    // Rules between variables, once each variable is valid on its own.
    expect(refusal({ GATEHOUSE_HEADER_TIMEOUT_SECONDS: "40" }).message).toMatch(
      /GATEHOUSE_REQUEST_TIMEOUT_SECONDS \(30\) must not be shorter than GATEHOUSE_HEADER_TIMEOUT_SECONDS \(40\)\. Example: GATEHOUSE_REQUEST_TIMEOUT_SECONDS=60/,
    );
    expect(refusal({ GATEHOUSE_WORKERS: "2" }).message).toMatch(/^GATEHOUSE_WORKERS=2 needs DATABASE_URL \(PostgreSQL\).*Example: GATEHOUSE_WORKERS=2$/);
  });
});

describe("checkConfiguration (npm start -- --check-config)", () => {
  it("prints every variable with its value in effect and where it came from, secrets masked", () => {
    const env = {
      DATABASE_URL: POSTGRES,
      GATEHOUSE_SECRET: "the-deployment-secret-value",
      GATEHOUSE_ADMIN_PASSWORD: "admin-password-value",
      GATEHOUSE_WORKERS: "2",
      PORT: "8080",
    };
    const { valid, report } = checkConfiguration(env);
    expect(valid).toBe(true);
    const lines = report.split("\n");
    expect(lines[0]).toBe(`Gatehouse configuration is valid (${CONFIGURATION_VARIABLES.length} variables):`);
    for (const name of CONFIGURATION_VARIABLES) expect(lines.some((line) => line.trim().startsWith(`${name} `)), name).toBe(true);
    expect(report).toMatch(/^ {2}PORT +set +8080$/m);
    expect(report).toMatch(/^ {2}GATEHOUSE_ISSUER +default +http:\/\/localhost:8080$/m);
    expect(report).toMatch(/^ {2}GATEHOUSE_SHUTDOWN_DELAY_SECONDS +default +5$/m);
    expect(report).toMatch(/^ {2}DATABASE_URL +set +postgresql:\/\/gatehouse:\*\*\*\*@db\.internal:5432\/gatehouse$/m);
    expect(report).toMatch(/^ {2}GATEHOUSE_SECRET +set +\*\*\*\* \(set\)$/m);
    for (const secret of ["db-password-123", "the-deployment-secret-value", "admin-password-value"]) expect(report).not.toContain(secret);
  });

  it("reports an invalid configuration, and the secret PostgreSQL needs", () => {
    expect(checkConfiguration({ GATEHOUSE_MAX_CONNECTIONS: "lots" })).toEqual({
      valid: false,
      report: 'Gatehouse configuration is invalid:\nGATEHOUSE_MAX_CONNECTIONS must be a positive integer; got "lots". Example: GATEHOUSE_MAX_CONNECTIONS=5000',
    });
    const withoutSecret = checkConfiguration({ DATABASE_URL: POSTGRES });
    expect(withoutSecret.valid).toBe(false);
    expect(withoutSecret.report).toMatch(/GATEHOUSE_SECRET is required with DATABASE_URL.*Example: GATEHOUSE_SECRET=/);
  });
});
