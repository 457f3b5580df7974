// Demo data: the tutorial's Postman client, a SPA, a demo API scope, a user
// and an administrator. Applied on the embedded default when the database is
// empty, and on demand with `npm run seed:demo`; never automatically against
// DATABASE_URL.
import { hashPassword } from "../auth/passwords";
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

/** Idempotent: creates whatever part of the demo data is missing, in one transaction. */
export async function seedDemoData(db: Database, options: { adminPassword?: string } = {}): Promise<DemoSeedResult> {
  const { prisma } = db;
  const generatedAdminPassword = options.adminPassword ?? randomTokenValue(15);
  const [aliceHash, adminHash] = await Promise.all([
    hashPassword(DEMO.alice.password),
    hashPassword(generatedAdminPassword),
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
