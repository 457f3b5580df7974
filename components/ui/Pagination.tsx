import Link from "next/link";

/**
 * Previous / next links that keep the page's other query parameters.
 * `params` are the current filters; `page` is 1-based. A page with two paged
 * lists gives each its own `pageParam` and `label` (landmarks need distinct names).
 */
export function Pagination({
  path,
  params,
  page,
  hasNext,
  pageParam = "page",
  label = "Pagination",
}: {
  path: string;
  params: Record<string, string | undefined>;
  page: number;
  hasNext: boolean;
  pageParam?: string;
  label?: string;
}) {
  const href = (target: number) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
    if (target > 1) query.set(pageParam, String(target));
    const text = query.toString();
    return text ? `${path}?${text}` : path;
  };
  return (
    <nav aria-label={label} className="flex items-center justify-between pt-3 text-sm">
      {page > 1 ? (
        <Link href={href(page - 1)} className="font-medium text-indigo-700 underline" rel="prev">
          ← Previous
        </Link>
      ) : (
        <span />
      )}
      <span className="text-slate-600">Page {page}</span>
      {hasNext ? (
        <Link href={href(page + 1)} className="font-medium text-indigo-700 underline" rel="next">
          Next →
        </Link>
      ) : (
        <span />
      )}
    </nav>
  );
}

/** The 1-based page number from a query value (anything odd → 1). */
export function pageNumber(value: string | string[] | undefined): number {
  const parsed = typeof value === "string" ? Number.parseInt(value, 10) : 1;
  return Number.isSafeInteger(parsed) && parsed >= 1 && parsed <= 100_000 ? parsed : 1;
}
