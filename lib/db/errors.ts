/**
 * True for a unique-constraint violation from either driver: adapter-pg raises
 * Prisma's P2002, pglite-prisma-adapter a DriverAdapterError whose cause has
 * SQLSTATE 23505.
 */
export function isUniqueViolation(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const record = current as { code?: unknown; cause?: unknown; originalCode?: unknown };
    if (record.code === "P2002" || record.code === "23505" || record.originalCode === "23505") return true;
    current = record.cause;
  }
  return false;
}
