import type { ButtonHTMLAttributes } from "react";

export type ButtonVariant = "primary" | "secondary" | "danger" | "link";

const VARIANTS: Record<ButtonVariant, string> = {
  primary: "bg-indigo-700 text-white hover:bg-indigo-800 disabled:bg-indigo-400",
  secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50 disabled:text-slate-400",
  danger: "bg-red-700 text-white hover:bg-red-800 disabled:bg-red-400",
  link: "text-indigo-700 underline hover:text-indigo-900",
};

/** Classes for a button or a link styled as one (the same look everywhere). */
export function buttonClass(variant: ButtonVariant = "primary", extra = ""): string {
  const shape = variant === "link" ? "font-medium" : "inline-flex items-center justify-center rounded-md px-3 py-2 text-sm font-semibold shadow-sm";
  return `${shape} focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-2 ${VARIANTS[variant]} ${extra}`.trim();
}

export function Button({ variant = "primary", className = "", type = "button", ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant }) {
  return <button type={type} className={buttonClass(variant, className)} {...props} />;
}
