// client_id (RFC 6749 §4.1.1: REQUIRED; §2.2). Checked first, and refused on a
// page: while the client is in doubt there is nowhere safe to send an error
// (RFC 6749 §4.1.2.1).
import { checkParameterSize, type FormParameters } from "../../http";
import type { ClientRecord } from "../../ports";
import { invalidRequestPage, unknownApplicationPage } from "../pages";

/** client-id = *VSCHAR, VSCHAR = %x20-7E (RFC 6749 Appendix A.1): anything else names no client. */
const VSCHARS = /^[\x20-\x7E]+$/;

/** The client_id, sent exactly once (RFC 6749 §3.1) and within its size limit (decision 0010). */
export function requireClientId(params: FormParameters): string {
  const count = params.count("client_id");
  if (count === 0) throw invalidRequestPage("The request has no client_id: the application that sent you here is misconfigured.");
  if (count > 1) throw invalidRequestPage("The client_id parameter was sent more than once.");
  const clientId = params.get("client_id")!;
  const tooLong = checkParameterSize("client_id", clientId);
  if (tooLong) throw invalidRequestPage(tooLong);
  return clientId;
}

/** Whether `clientId` could name a client at all (worth a lookup). */
export function isClientIdSyntax(clientId: string): boolean {
  return VSCHARS.test(clientId);
}

/** The client, registered and enabled; otherwise the unknown-application page (RFC 6749 §4.1.2.1). */
export function requireEnabledClient(client: ClientRecord | null): ClientRecord {
  if (!client || !client.enabled) throw unknownApplicationPage();
  return client;
}
