// Lines only an operator chasing a problem wants (GATEHOUSE_DEBUG=1): things a
// client did to itself, such as hanging up in the middle of an upload.
export function debugLog(message: string): void {
  if (process.env.GATEHOUSE_DEBUG) console.error(`[gatehouse debug] ${message}`);
}

/** True for the errors a request stream raises when the client went away mid-body. */
export function isClientAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === "ECONNRESET" ||
    code === "ECONNABORTED" ||
    code === "EPIPE" ||
    code === "ERR_STREAM_PREMATURE_CLOSE" ||
    (error instanceof Error && error.message === "aborted")
  );
}
