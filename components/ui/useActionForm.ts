"use client";
// react-hook-form wired to a server action: the same zod schema checks the
// fields in the browser and (inside adminAction / accountAction) on the
// server; the server's field errors land on the same fields.
import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm, type DefaultValues, type FieldValues, type Path } from "react-hook-form";
import type { z } from "zod";
import type { ActionResult } from "@/lib/forms/actionResult";

export function useActionForm<S extends z.ZodType<FieldValues, FieldValues>, T>({
  schema,
  action,
  defaultValues,
  onSuccess,
}: {
  schema: S;
  action: (input: z.input<S>) => Promise<ActionResult<T>>;
  defaultValues: DefaultValues<z.input<S>>;
  onSuccess?: (data: T) => void;
}) {
  const form = useForm<z.input<S>, unknown, z.output<S>>({ resolver: zodResolver(schema as never) as never, defaultValues });
  const [formError, setFormError] = useState<string | null>(null);
  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    const result = await action(values as z.input<S>);
    if (result.ok) {
      onSuccess?.(result.data);
      return;
    }
    setFormError(result.message);
    for (const [field, messages] of Object.entries(result.fieldErrors ?? {})) {
      if (messages[0]) form.setError(field as Path<z.input<S>>, { type: "server", message: messages[0] });
    }
  });
  return { form, onSubmit, formError, submitting: form.formState.isSubmitting };
}
