export declare const CHROMIUM_CANDIDATES: string[];
/** The browser to drive, or null when none is installed. */
export declare function chromiumPath(): string | null;
