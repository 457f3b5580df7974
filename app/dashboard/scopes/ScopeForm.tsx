"use client";
// Create or edit a scope. The same zod schema checks the fields here and in
// the server action; the server's field errors land on the same fields.
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { CheckboxField, Fieldset, TextAreaField, TextField } from "@/components/ui/Field";
import { useActionForm } from "@/components/ui/useActionForm";
import { MAX_RESOURCES, RELEASABLE_CLAIMS, createScopeSchema, updateScopeSchema, type ScopeFields } from "@/lib/forms/scopeForm";
import { createScopeAction, updateScopeAction } from "./actions";

type Props =
  | { mode: "create" }
  | {
      mode: "edit";
      id: string;
      initial: ScopeFields;
      /** A standard OpenID Connect scope: claims and resources are shown, not edited. */
      standard: boolean;
    };

const EMPTY: ScopeFields = { displayName: "", description: "", resources: "", claims: [], accessTokenClaims: [] };

function StandardScopeDefinition({ claims, resources }: { claims: readonly string[]; resources: string }) {
  return (
    <div className="space-y-1 rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-700">
      <p className="font-medium text-slate-800">Claims released</p>
      <p>{claims.length ? claims.join(", ") : "none"}</p>
      <p className="font-medium text-slate-800">Resources</p>
      <p>{resources.trim() ? resources : "none (access tokens get the default audience)"}</p>
      <p className="text-xs text-slate-600">OpenID Connect defines what this standard scope releases, so these cannot change here.</p>
    </div>
  );
}

export function ScopeForm(props: Props) {
  const router = useRouter();
  const [saved, setSaved] = useState(false);
  const editing = props.mode === "edit";
  const { form, onSubmit, formError, submitting } = useActionForm({
    schema: editing ? updateScopeSchema : createScopeSchema,
    action: (input) => (editing ? updateScopeAction(input as never) : createScopeAction(input as never)),
    defaultValues: editing ? { ...props.initial, id: props.id } : { ...EMPTY, name: "" },
    onSuccess: (data) => {
      if (editing) {
        setSaved(true);
        router.refresh();
      } else {
        router.push(`/dashboard/scopes?created=${encodeURIComponent(data.name)}`);
      }
    },
  });
  const {
    register,
    formState: { errors },
  } = form;
  const fieldError = (name: string) => (errors as Record<string, { message?: string } | undefined>)[name]?.message;
  const standard = editing && props.standard;
  // sub is always in access tokens; a standard scope's released claims are fixed, so only those can be offered.
  const accessTokenOptions = RELEASABLE_CLAIMS.filter((claim) => claim.name !== "sub" && (!standard || props.initial.claims.includes(claim.name)));

  return (
    <form onSubmit={(event) => (setSaved(false), onSubmit(event))} noValidate className="max-w-2xl space-y-5">
      {formError ? <Alert kind="error">{formError}</Alert> : null}
      {saved ? <Alert kind="success">Saved. The consent screen and new tokens use the new definition now.</Alert> : null}
      {editing ? null : (
        <TextField
          id="scope-name"
          label="Name"
          hint="What clients put in the scope parameter, e.g. orders:read. No spaces. It cannot be changed later: clients, consents and issued tokens refer to it."
          autoComplete="off"
          spellCheck={false}
          error={fieldError("name")}
          {...register("name" as never)}
        />
      )}
      <TextField id="scope-display-name" label="Display name" hint="The heading users see on the consent screen." error={fieldError("displayName")} {...register("displayName")} />
      <TextAreaField
        id="scope-description"
        label="Description"
        rows={2}
        hint="Shown under the display name on the consent screen: say what the app can do with this permission."
        error={fieldError("description")}
        {...register("description")}
      />
      {standard ? (
        <StandardScopeDefinition claims={props.initial.claims} resources={props.initial.resources} />
      ) : (
        <>
          <TextAreaField
            id="scope-resources"
            label="Resources (access token audiences)"
            rows={3}
            spellCheck={false}
            hint={`One per line, up to ${MAX_RESOURCES}: absolute URIs or URNs of the APIs that accept tokens with this scope, e.g. https://api.example.com or urn:example:api.`}
            error={fieldError("resources")}
            {...register("resources")}
          />
          <Fieldset id="scope-claims" legend="Claims released (ID token and userinfo)" error={fieldError("claims")}>
            <div className="grid gap-2 sm:grid-cols-2">
              {RELEASABLE_CLAIMS.map((claim) => (
                <CheckboxField key={claim.name} id={`claim-${claim.name}`} label={claim.label} value={claim.name} {...register("claims")} />
              ))}
            </div>
          </Fieldset>
        </>
      )}
      {accessTokenOptions.length ? (
        <Fieldset
          id="scope-access-token-claims"
          legend="Claims also put in access tokens"
          hint={
            standard
              ? "For APIs that read the user's details from the access token itself."
              : "For APIs that read the user's details from the access token itself. Each must also be released above."
          }
          error={fieldError("accessTokenClaims")}
        >
          <div className="grid gap-2 sm:grid-cols-2">
            {accessTokenOptions.map((claim) => (
              <CheckboxField key={claim.name} id={`access-claim-${claim.name}`} label={claim.label} value={claim.name} {...register("accessTokenClaims")} />
            ))}
          </div>
        </Fieldset>
      ) : null}
      <Button type="submit" disabled={submitting}>
        {submitting ? "Saving…" : editing ? "Save changes" : "Create scope"}
      </Button>
    </form>
  );
}
