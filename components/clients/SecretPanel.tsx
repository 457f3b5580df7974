"use client";
// The one and only time a client secret is shown: after creating a
// confidential client and after rotating its secret. It lives in this
// component's props (React state of the page that asked), never in a URL,
// a cookie or the server's HTML, so a reload makes it disappear for good.
import { useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/Button";
import { inputClass } from "@/components/ui/Field";

export function SecretPanel({ clientId, secret }: { clientId: string; secret: string }) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a rotated secret is a new one to land on
  useEffect(() => {
    // Land on the secret: keyboard and screen-reader users find it at once.
    inputRef.current?.focus();
    inputRef.current?.select();
  }, [secret]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("yes");
    } catch {
      inputRef.current?.select();
      setCopied("failed");
    }
  };
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-4 text-amber-950">
      <h2 id={`${id}-heading`} className="text-base font-semibold">
        Copy the client secret now — it will not be shown again
      </h2>
      <p className="text-sm">
        Gatehouse keeps only a hash of it. Put it in the configuration of <strong>{clientId}</strong> now; if it is lost,
        rotate the secret to get a new one (the old one then stops working).
      </p>
      <div className="space-y-1">
        <label htmlFor={`${id}-secret`} className="block text-sm font-medium">
          Client secret
        </label>
        <div className="flex flex-wrap gap-2">
          <input
            ref={inputRef}
            id={`${id}-secret`}
            readOnly
            value={secret}
            spellCheck={false}
            autoComplete="off"
            className={`${inputClass} font-mono sm:flex-1`}
          />
          <Button variant="secondary" onClick={copy}>
            Copy
          </Button>
        </div>
      </div>
      <p role="status" className="text-sm">
        {copied === "yes" ? "Copied to the clipboard." : copied === "failed" ? "Could not reach the clipboard: the secret is selected, copy it with the keyboard." : ""}
      </p>
    </section>
  );
}
