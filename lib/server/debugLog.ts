// Lines only an operator chasing a problem wants (GATEHOUSE_DEBUG=1): things a
// client did to itself, such as hanging up in the middle of an upload.
export function debugLog(message: string): void {
  if (process.env.GATEHOUSE_DEBUG) console.error(`[gatehouse debug] ${message}`);
}
