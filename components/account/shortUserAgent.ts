// A session's User-Agent header as a person recognises it ("Firefox on
// Windows"), for the sessions list. Best effort: anything unrecognised is
// shown clipped rather than guessed at.

const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/\bOPR\/(\d+)/, "Opera"],
  [/\bSamsungBrowser\/(\d+)/, "Samsung Internet"],
  [/\bFirefox\/(\d+)/, "Firefox"],
  [/\bFxiOS\/(\d+)/, "Firefox"],
  [/\bHeadlessChrome\/(\d+)/, "Headless Chrome"],
  [/\bCriOS\/(\d+)/, "Chrome"],
  [/\bChrom(?:e|ium)\/(\d+)/, "Chrome"],
  [/\bVersion\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//, "Safari"],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, "iOS"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

export const MAX_SHOWN_USER_AGENT = 40;

export function shortUserAgent(userAgent: string | null | undefined): string {
  const text = (userAgent ?? "").replace(/[\u0000-\u001f\u007f]/g, "").trim();
  if (!text) return "Unknown browser";
  const browser = BROWSERS.map(([pattern, name]) => {
    const match = text.match(pattern);
    return match ? `${name} ${match[1]}` : null;
  }).find((found) => found !== null);
  const system = SYSTEMS.find(([pattern]) => pattern.test(text))?.[1];
  if (browser) return system ? `${browser} on ${system}` : browser;
  return text.length > MAX_SHOWN_USER_AGENT ? `${text.slice(0, MAX_SHOWN_USER_AGENT - 1)}…` : text;
}
