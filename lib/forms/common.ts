// Pieces the dashboard's form schemas share. Framework-free, safe in client code.
import { z } from "zod";

/** A database row id (uuid) passed back by a page; anything else is refused before any query. */
export const idSchema = z.uuid("That record id is not valid.");

/** The non-blank lines of a textarea, trimmed. */
export function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
