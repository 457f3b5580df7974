// Signing as the Standard Webhooks specification describes it (https://www.standardwebhooks.com,
// "Signature scheme"): HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" under the secret's
// bytes (base64 after "whsec_"), sent as "v1,<base64>" with the id and the timestamp in their own headers.
import { createHmac } from "node:crypto";

/** The secret's prefix in the specification's secret format ("whsec_" + base64). */
export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** The least key length we accept: the specification recommends 24 to 64 random bytes. */
export const MIN_WEBHOOK_SECRET_BYTES = 24;

/** The key bytes of a "whsec_<base64>" secret; an Error saying what is wrong otherwise. */
export function parseWebhookSecret(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error(`must start with "${WEBHOOK_SECRET_PREFIX}" (the Standard Webhooks secret format).`);
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) throw new Error(`must be "${WEBHOOK_SECRET_PREFIX}" followed by base64.`);
  const key = Buffer.from(encoded, "base64");
  if (key.length < MIN_WEBHOOK_SECRET_BYTES) throw new Error(`must hold at least ${MIN_WEBHOOK_SECRET_BYTES} random bytes; got ${key.length}.`);
  return key;
}

/** The three headers that let a receiver check `body` came from us, unchanged, recently (spec: "Signature scheme"). */
export function signWebhook(key: Buffer, id: string, timestamp: Date, body: string): Record<string, string> {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const signature = createHmac("sha256", key).update(`${id}.${seconds}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(seconds), "webhook-signature": `v1,${signature}` };
}
