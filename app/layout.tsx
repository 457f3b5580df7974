import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Gatehouse", template: "%s · Gatehouse" },
  description: "Self-hosted OAuth 2.0 and OpenID Connect identity portal",
};

/**
 * Every page renders per request: the production server gives each response its own
 * Content-Security-Policy nonce, which Next.js stamps on the scripts it renders. A page
 * prerendered at build time would carry no nonce and its scripts would be refused.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">{children}</body>
    </html>
  );
}
