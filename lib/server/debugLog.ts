// Lines only an operator chasing a problem wants (GATEHOUSE_DEBUG=1): things a
// client did to itself, such as hanging up in the middle of an upload.
/** Read once; lib/settings.ts's schema has already refused any value but 1/true/0/false at start. */
const DEBUG = /^(1|true)$/.test(process.env.GATEHOUSE_DEBUG ?? "");

export function debugLog(message: string): void {
  if (DEBUG) console.error(`[gatehouse debug] ${message}`);
}
