// docs/deploy.md (issue #13 item 8) against the code: the environment file it shows is a valid
// configuration of this build, and the systemd unit gives a SIGTERM stop enough time to finish.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIGURATION_VARIABLES, checkConfiguration } from "@/lib/settings";

const guide = fs.readFileSync(path.resolve(__dirname, "../../docs/deploy.md"), "utf8");

/** The first fenced block of `language` after `heading`. */
function blockAfter(heading: string, language: string): string {
  const section = guide.slice(guide.indexOf(heading));
  const match = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(section);
  if (!match) throw new Error(`no ${language} block after ${heading}`);
  return match[1]!;
}

const environmentFile = Object.fromEntries(
  blockAfter("## 3. The environment file", "sh")
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
);

describe("docs/deploy.md", () => {
  it("its environment file names only variables this build reads (NODE_ENV aside)", () => {
    const unknown = Object.keys(environmentFile).filter((name) => name !== "NODE_ENV" && !(CONFIGURATION_VARIABLES as readonly string[]).includes(name));
    expect(unknown).toEqual([]);
    expect(Object.keys(environmentFile)).toEqual(expect.arrayContaining(["GATEHOUSE_ISSUER", "DATABASE_URL", "GATEHOUSE_SECRET", "GATEHOUSE_TRUST_PROXY"]));
  });

  it("its environment file is a valid configuration", () => {
    const { valid, report } = checkConfiguration(environmentFile);
    expect(valid, report).toBe(true);
  });

  it("the systemd unit waits longer for a stop than the shutdown delay, timeout and closing take", () => {
    const unit = blockAfter("## 4. systemd", "ini");
    const stopSeconds = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
    const delay = Number(environmentFile.GATEHOUSE_SHUTDOWN_DELAY_SECONDS);
    const timeout = Number(environmentFile.GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS);
    // server.ts: the primary waits delay + timeout + 10 s (closing) + 2 s for its workers.
    expect(stopSeconds).toBeGreaterThan(delay + timeout + 12);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^ExecStart=\S+node \S+\/dist\/server\.js$/m);
  });
});
