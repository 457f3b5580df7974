// What every server action answers (lib/next/guards.ts builds them), shared with
// the client components that call them. Framework-free, safe in client code.

/** Data, or why not (never a thrown error or a stack trace). */
export type ActionResult<T = null> =
  | { ok: true; data: T }
  | {
      ok: false;
      /** HTTP-like: 400 invalid input, 401 signed out, 403 not allowed, 404 gone, 409 conflict, 500 failed. */
      status: 400 | 401 | 403 | 404 | 409 | 500;
      message: string;
      /** Per-field messages, keyed like the form's fields (zod's flattened errors). */
      fieldErrors?: Record<string, string[]>;
    };

export function actionOk<T>(data: T): ActionResult<T> {
  return { ok: true, data };
}

export function actionError(status: 400 | 401 | 403 | 404 | 409 | 500, message: string, fieldErrors?: Record<string, string[]>) {
  return { ok: false as const, status, message, ...(fieldErrors ? { fieldErrors } : {}) };
}
