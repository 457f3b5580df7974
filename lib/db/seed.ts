// Demo data: the tutorial's Postman client, a SPA, a demo API scope, a user
// and an administrator. Their credentials are public (the README prints
// them), so they are used only where that cannot hurt: on a loopback issuer,
// or when the operator asks for them (GATEHOUSE_DEMO=1, `npm run seed:demo`).
// Seeded automatically only on the embedded default with an empty database;
// never automatically against DATABASE_URL. See
// docs/decisions/0008-demo-data-and-first-admin.md.
import { isIPv4, isIPv6 } from "node:net";
import { Permissions, Requirements } from "../oauth/permissions";
import { hashClientSecret, randomTokenValue } from "../oauth/secrets";
import type { Database } from "./client";

export const DEMO = {
  apiScope: { name: "api", resource: "urn:gatehouse:api" },
  postman: { clientId: "postman", secret: "postman-secret", redirectUri: "https://oauth.pstmn.io/v1/callback" },
  spa: { clientId: "spa", redirectUri: "http://localhost:5173/callback", postLogoutRedirectUri: "http://localhost:5173/" },
  alice: { username: "alice", password: "alice-password", email: "alice@example.com", name: "Alice Example" },
  admin: { username: "admin" },
} as const;

/**
 * Whether the issuer's host is the loopback interface: "localhost",
 * 127.0.0.0/8 or [::1] (also written as an IPv4-mapped address). Only there
 * can nobody but this machine's users reach the demo credentials.
 */
export function isLoopbackIssuer(issuer: string): boolean {
  let host: string;
  try {
    host = new URL(issuer).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === "localhost") return true;
  if (isIPv4(host)) return host.split(".")[0] === "127";
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!isIPv6(bare)) return false;
  if (bare === "::1") return true;
  // The URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1: loopback when the mapped address is 127/8.
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(bare);
  return mapped !== null && parseInt(mapped[1]!, 16) >> 8 === 127;
}

/** Whether demo data may be used: on a loopback issuer, or with GATEHOUSE_DEMO=1. */
export function demoDataAllowed(settings: { issuer: string; demo: boolean }): boolean {
  return settings.demo || isLoopbackIssuer(settings.issuer);
}

/**
 * The demo records with public credentials that the database holds, as
 * "client postman", "user alice". The seeded administrator is not one of
 * them: its password was generated (or given by the operator), never published.
 */
export async function findDemoData(db: Database): Promise<string[]> {
  const rows = await db.sql.query<{ what: string }>(
    `SELECT 'client ' || "client_id" AS "what" FROM "applications" WHERE "client_id" = ANY($1::text[])
     UNION ALL
     SELECT 'user ' || "username" FROM "users" WHERE "username" = ANY($2::text[])
     ORDER BY 1`,
    [[DEMO.postman.clientId, DEMO.spa.clientId], [DEMO.alice.username]],
  );
  return rows.map((row) => row.what);
}

/** Thrown at start: a non-loopback issuer, demo data present, and GATEHOUSE_DEMO not set. */
export class DemoDataRefusedError extends Error {
  constructor(
    readonly issuer: string,
    readonly present: readonly string[],
  ) {
    super(
      `GATEHOUSE_ISSUER ${issuer} is not a loopback address, and the database holds demo data whose credentials are public: ` +
        `${present.join(", ")}. Delete them (start once with GATEHOUSE_DEMO=1 and remove them in the dashboard), ` +
        `or set GATEHOUSE_DEMO=1 to run with them anyway.`,
    );
    this.name = "DemoDataRefusedError";
  }
}

/** The rule at start: refuses present demo data outside loopback unless GATEHOUSE_DEMO=1. */
export function checkDemoDataPolicy(settings: { issuer: string; demo: boolean }, present: readonly string[]): void {
  if (present.length > 0 && !demoDataAllowed(settings)) throw new DemoDataRefusedError(settings.issuer, present);
}

export interface DemoSeedResult {
  /** The generated admin password, when this run created the admin. */
  adminPassword: string | null;
  created: string[];
}

export async function isDatabaseEmpty(db: Database): Promise<boolean> {
  const [applications, users] = await Promise.all([db.prisma.application.count(), db.prisma.user.count()]);
  return applications === 0 && users === 0;
}

const userScopes = ["profile", "email", "offline_access", DEMO.apiScope.name];

export interface DemoSeedOptions {
  /**
   * How user passwords are stored (the portal's argon2id, lib/auth/passwords.ts). The caller
   * passes it: the password policy is the sign-in layer's, which lib/db does not import.
   */
  hashPassword: (password: string) => Promise<string>;
  /** The administrator's password; generated (and reported once) when absent. */
  adminPassword?: string;
}

/** Idempotent: creates whatever part of the demo data is missing, in one transaction. */
export async function seedDemoData(db: Database, options: DemoSeedOptions): Promise<DemoSeedResult> {
  const { prisma } = db;
  const generatedAdminPassword = options.adminPassword ?? randomTokenValue(15);
  const [aliceHash, adminHash] = await Promise.all([
    options.hashPassword(DEMO.alice.password),
    options.hashPassword(generatedAdminPassword),
  ]);
  const created: string[] = [];
  let adminCreated = false;
  await prisma.$transaction(async (tx) => {
    if (!(await tx.scope.findUnique({ where: { name: DEMO.apiScope.name } }))) {
      await tx.scope.create({
        data: {
          name: DEMO.apiScope.name,
          displayName: "Demo API",
          description: "Call the demo API on your behalf.",
          resources: [DEMO.apiScope.resource],
          // Destinations, as in the tutorial: the API learns the caller's username from the access token.
          claims: ["preferred_username"],
          accessTokenClaims: ["preferred_username"],
        },
      });
      created.push(`scope ${DEMO.apiScope.name}`);
    }
    if (!(await tx.application.findUnique({ where: { clientId: DEMO.postman.clientId } }))) {
      await tx.application.create({
        data: {
          clientId: DEMO.postman.clientId,
          displayName: "Postman",
          clientType: "confidential",
          consentType: "explicit",
          clientSecretHashes: [hashClientSecret(DEMO.postman.secret)],
          redirectUris: [DEMO.postman.redirectUri],
          permissions: [
            Permissions.endpoint.authorization,
            Permissions.endpoint.token,
            Permissions.endpoint.logout,
            Permissions.endpoint.introspection,
            Permissions.endpoint.revocation,
            Permissions.grantType("client_credentials"),
            Permissions.grantType("authorization_code"),
            Permissions.grantType("refresh_token"),
            Permissions.responseType("code"),
            ...userScopes.map(Permissions.scope),
          ],
          requirements: [Requirements.pkce],
        },
      });
      created.push(`client ${DEMO.postman.clientId}`);
    }
    if (!(await tx.application.findUnique({ where: { clientId: DEMO.spa.clientId } }))) {
      await tx.application.create({
        data: {
          clientId: DEMO.spa.clientId,
          displayName: "Demo single-page app",
          clientType: "public",
          consentType: "explicit",
          redirectUris: [DEMO.spa.redirectUri],
          postLogoutRedirectUris: [DEMO.spa.postLogoutRedirectUri],
          permissions: [
            Permissions.endpoint.authorization,
            Permissions.endpoint.token,
            Permissions.endpoint.logout,
            Permissions.endpoint.revocation,
            Permissions.grantType("authorization_code"),
            Permissions.grantType("refresh_token"),
            Permissions.responseType("code"),
            ...userScopes.map(Permissions.scope),
          ],
          requirements: [Requirements.pkce],
        },
      });
      created.push(`client ${DEMO.spa.clientId}`);
    }
    if (!(await tx.user.findUnique({ where: { username: DEMO.alice.username } }))) {
      await tx.user.create({
        data: {
          username: DEMO.alice.username,
          email: DEMO.alice.email,
          emailVerified: true,
          name: DEMO.alice.name,
          passwordHash: aliceHash,
        },
      });
      created.push(`user ${DEMO.alice.username}`);
    }
    if (!(await tx.user.findUnique({ where: { username: DEMO.admin.username } }))) {
      await tx.user.create({
        data: { username: DEMO.admin.username, name: "Administrator", passwordHash: adminHash, roles: ["admin"] },
      });
      adminCreated = true;
      created.push(`user ${DEMO.admin.username}`);
    }
  });
  return { adminPassword: adminCreated ? generatedAdminPassword : null, created };
}
