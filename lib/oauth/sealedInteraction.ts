// The authorization request of a user who is not signed in yet, carried by the
// browser instead of stored (docs/decisions/0010-bounded-storage-and-purge.md).
//
// An anonymous request must not cost the server storage: its validated form is
// sealed (AES-256-GCM under a key derived from the deployment secret) into the
// login page's `interaction` parameter, with an id, the client it was made for
// and an expiry. Only the server can make or read one; a changed byte, another
// deployment's seal or an expired one is refused. A database row is written only
// once a signed-in user must be asked for consent (compactly: see
// compactRequest), and the id inside the seal keeps it single-use.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { ValidatedAuthorizationRequest } from "./ports";

/** What a sealed interaction holds, and what a stored one starts from. */
export interface InteractionSnapshot {
  /** 256 random bits, base64url (43 characters): also the id of a database row made from it. */
  id: string;
  /** Database id of the client: a client deleted and registered again under the same client_id is another client. */
  applicationId: string;
  request: ValidatedAuthorizationRequest;
  /** When the authorization request arrived (prompt=login / max_age compare the sign-in with it). */
  createdAt: Date;
  expiresAt: Date;
}

/** A sealed interaction as it appears in a URL: base64url, bounded (a seal of the largest allowed request fits). */
export const SEALED_INTERACTION = /^[A-Za-z0-9_-]{64,32768}$/;
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds the ciphertext to its purpose: a value sealed for anything else does not open here. */
const ASSOCIATED_DATA = Buffer.from("gatehouse/authorization-interaction/v1", "utf8");

/**
 * The validated request in few bytes: one- or two-letter keys, defaults left
 * out. Used inside seals and in the interactions table's `request` column.
 */
export interface CompactRequest {
  c: string; // clientId
  u: string; // redirectUri
  up?: 1; // redirect_uri was sent
  s: string[]; // scopes
  st?: string; // state
  n?: string; // nonce
  cc: string; // code challenge (S256)
  p?: ValidatedAuthorizationRequest["prompt"];
  ma?: number; // max_age
  lh?: string; // login_hint
  sub?: string; // the subject an id_token_hint named
}

export function compactRequest(request: ValidatedAuthorizationRequest): CompactRequest {
  const compact: CompactRequest = { c: request.clientId, u: request.redirectUri, s: request.scopes, cc: request.codeChallenge };
  if (request.redirectUriProvided) compact.up = 1;
  if (request.state !== null) compact.st = request.state;
  if (request.nonce !== null) compact.n = request.nonce;
  if (request.prompt.length > 0) compact.p = request.prompt;
  if (request.maxAge !== null) compact.ma = request.maxAge;
  if (request.loginHint !== null) compact.lh = request.loginHint;
  if (request.expectedSubject !== undefined) compact.sub = request.expectedSubject;
  return compact;
}

const isString = (value: unknown): value is string => typeof value === "string";
const optionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === "string";
const PROMPTS = new Set(["none", "login", "consent", "select_account"]);

/** The request back from its compact form; null when `value` is not one (also reads rows written before decision 0010). */
export function expandRequest(value: unknown): ValidatedAuthorizationRequest | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if ("clientId" in v) return isString(v.clientId) && isString(v.redirectUri) ? (v as unknown as ValidatedAuthorizationRequest) : null;
  const prompt = v.p ?? [];
  if (
    !isString(v.c) || !isString(v.u) || !isString(v.cc) ||
    !Array.isArray(v.s) || !v.s.every(isString) ||
    !Array.isArray(prompt) || !prompt.every((p) => PROMPTS.has(p as string)) ||
    !optionalString(v.st) || !optionalString(v.n) || !optionalString(v.lh) || !optionalString(v.sub) ||
    !(v.ma === undefined || (typeof v.ma === "number" && Number.isInteger(v.ma) && v.ma >= 0))
  ) {
    return null;
  }
  return {
    clientId: v.c,
    redirectUri: v.u,
    redirectUriProvided: v.up === 1,
    scopes: v.s as string[],
    state: (v.st as string | undefined) ?? null,
    nonce: (v.n as string | undefined) ?? null,
    codeChallenge: v.cc,
    codeChallengeMethod: "S256",
    prompt: prompt as ValidatedAuthorizationRequest["prompt"],
    maxAge: (v.ma as number | undefined) ?? null,
    loginHint: (v.lh as string | undefined) ?? null,
    ...(v.sub !== undefined ? { expectedSubject: v.sub as string } : {}),
  };
}

/** Seals and opens interactions with one deployment's key. */
export class InteractionSealer {
  private readonly key: Buffer;

  /** `key`: 32 bytes, base64url (deriveSecret(secret, "authorization-interaction/v1") in lib/settings.ts). */
  constructor(key: string) {
    this.key = Buffer.from(key, "base64url");
    if (this.key.length !== 32) throw new Error("The interaction sealing key must be 32 bytes.");
  }

  seal(snapshot: InteractionSnapshot): string {
    const plaintext = JSON.stringify({
      i: snapshot.id,
      a: snapshot.applicationId,
      t: snapshot.createdAt.getTime(),
      e: snapshot.expiresAt.getTime(),
      r: compactRequest(snapshot.request),
    });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(ASSOCIATED_DATA);
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, ciphertext, cipher.getAuthTag()]).toString("base64url");
  }

  /** The interaction sealed in `value`, or null when it is malformed, altered, from another key, or expired at `now`. */
  open(value: string, now: number): InteractionSnapshot | null {
    if (!SEALED_INTERACTION.test(value)) return null;
    const bytes = Buffer.from(value, "base64url");
    if (bytes.length <= 1 + IV_BYTES + TAG_BYTES || bytes[0] !== FORMAT_VERSION) return null;
    let plaintext: string;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(ASSOCIATED_DATA);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      return null; // altered, truncated, or sealed under another key
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(plaintext) as Record<string, unknown>;
    } catch {
      return null;
    }
    const request = expandRequest(parsed.r);
    if (!request || !isString(parsed.i) || !isString(parsed.a) || typeof parsed.t !== "number" || typeof parsed.e !== "number") return null;
    if (parsed.e <= now) return null;
    return { id: parsed.i, applicationId: parsed.a, request, createdAt: new Date(parsed.t), expiresAt: new Date(parsed.e) };
  }
}
