"use client";
// The create / edit form of a client. react-hook-form checks the fields with
// lib/forms/clientForm.ts's schema as the admin types; the server action
// checks the same schema again and its field errors land on the same fields.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type InputHTMLAttributes } from "react";
import type { ActionResult } from "@/lib/forms/actionResult";
import type { SigningAlgorithm } from "@/lib/oauth/ports";
import {
  CONSENT_TYPE_CHOICES,
  GRANT_TYPE_CHOICES,
  LIFETIME_FIELDS,
  LIFETIME_FIELD_NAMES,
  MAX_REDIRECT_URIS,
  SIGNING_ALGORITHM_CHOICES,
  SIGNING_ALGORITHM_FIELDS,
  SIGNING_ALGORITHM_FIELD_NAMES,
  clientFormSchema,
  describeDuration,
  type ClientFormValues,
  type LifetimeField,
  type SigningAlgorithmField,
  type SavedClient,
  type UpdateClientInput,
} from "@/lib/forms/clientForm";
import { Alert } from "@/components/ui/Alert";
import { Button, buttonClass } from "@/components/ui/Button";
import { CheckboxField, Fieldset, SelectField, TextAreaField, TextField } from "@/components/ui/Field";
import { useActionForm } from "@/components/ui/useActionForm";
import { SecretPanel } from "./SecretPanel";

export interface ScopeOption {
  name: string;
  displayName: string;
  description: string;
}

type ModeProps =
  | { mode: "create"; action: (input: ClientFormValues) => Promise<ActionResult<SavedClient>> }
  | { mode: "edit"; id: string; action: (input: UpdateClientInput) => Promise<ActionResult<SavedClient>> };

type ClientFormProps = ModeProps & {
  defaultValues: ClientFormValues;
  /** The scopes table, without openid (which the authorization code grant implies). */
  scopes: readonly ScopeOption[];
  /** What an empty lifetime field means: the server's defaults, in seconds. */
  lifetimeDefaults: Record<LifetimeField, number>;
  /** What "Server default" signs with. */
  signingAlgorithmDefaults: Record<SigningAlgorithmField, SigningAlgorithm>;
};

function RadioChoice({ id, label, description, ...input }: { id: string; label: string; description: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <div className="flex items-start gap-2">
      <input id={id} type="radio" aria-describedby={`${id}-description`} className="mt-0.5 h-4 w-4 border-slate-400 text-indigo-700 focus:ring-indigo-600" {...input} />
      <div className="space-y-0.5">
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
        <p id={`${id}-description`} className="text-xs text-slate-600">
          {description}
        </p>
      </div>
    </div>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5">
      <h2 className="text-base font-semibold text-slate-900">{title}</h2>
      {children}
    </section>
  );
}

export function ClientForm(props: ClientFormProps) {
  const router = useRouter();
  const [created, setCreated] = useState<SavedClient | null>(null);
  const [saved, setSaved] = useState<SavedClient | null>(null);
  const submit =
    props.mode === "create" ? props.action : (values: ClientFormValues) => props.action({ ...values, id: props.id });
  const { form, onSubmit, formError, submitting } = useActionForm({
    schema: clientFormSchema,
    action: submit,
    defaultValues: props.defaultValues,
    onSuccess: (client) => {
      if (props.mode === "edit") {
        setSaved(client);
        router.refresh();
      } else if (client.secret) {
        setCreated(client); // stay here: the secret is shown once, on this page
      } else {
        router.push(`/dashboard/clients/${client.id}?created=1`);
      }
    },
  });
  const {
    register,
    formState: { errors },
  } = form;

  if (created?.secret) {
    return (
      <div className="space-y-4">
        <Alert kind="success" title={`Client ${created.clientId} created.`} />
        <SecretPanel clientId={created.clientId} secret={created.secret} />
        <Link href={`/dashboard/clients/${created.id}`} className={buttonClass("primary")}>
          I have copied it — go to the client
        </Link>
      </div>
    );
  }

  const error = (name: keyof ClientFormValues) => errors[name]?.message as string | undefined;

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-6">
      {formError ? <Alert kind="error" title="Not saved">{formError}</Alert> : null}
      {saved ? (
        <div className="space-y-3">
          <Alert kind="success">Changes saved. They apply from the next request.</Alert>
          {saved.secret ? <SecretPanel clientId={saved.clientId} secret={saved.secret} /> : null}
        </div>
      ) : null}

      <Section title="Application">
        {props.mode === "create" ? (
          <TextField
            id="clientId"
            label="Client ID"
            hint="What the application sends as client_id. Letters, digits and . _ ~ -; leave it empty to generate a random one. It cannot be changed later."
            autoComplete="off"
            spellCheck={false}
            error={error("clientId")}
            {...register("clientId")}
          />
        ) : null}
        <TextField id="displayName" label="Display name" hint="Shown to users on the consent page." autoComplete="off" error={error("displayName")} {...register("displayName")} />
        <Fieldset
          id="clientType"
          legend="Client type"
          hint="Choose public for apps that run on the user's device and cannot keep a secret — a browser single-page app or a mobile or desktop app, which prove themselves with PKCE — and confidential for a server-side web app or a service, which gets a client secret."
          error={error("clientType")}
        >
          <RadioChoice id="clientType-public" label="Public" description="No secret; PKCE only." value="public" {...register("clientType")} />
          <RadioChoice id="clientType-confidential" label="Confidential" description="Authenticates with a client secret, shown once when made." value="confidential" {...register("clientType")} />
        </Fieldset>
        <Fieldset id="consentType" legend="Consent" error={error("consentType")}>
          {CONSENT_TYPE_CHOICES.map((choice) => (
            <RadioChoice key={choice.value} id={`consentType-${choice.value}`} label={choice.label} description={choice.description} value={choice.value} {...register("consentType")} />
          ))}
        </Fieldset>
      </Section>

      <Section title="Redirect URIs">
        <TextAreaField
          id="redirectUris"
          label="Redirect URIs"
          rows={3}
          spellCheck={false}
          hint={`One per line, at most ${MAX_REDIRECT_URIS}, matched exactly (a public client's http://127.0.0.1/… or http://[::1]/… URI matches any port, for native apps). https, http only on localhost / 127.0.0.1 / [::1], or a native app's reverse-domain scheme such as com.example.app:/callback; no fragments.`}
          error={error("redirectUris")}
          {...register("redirectUris")}
        />
        <TextAreaField
          id="postLogoutRedirectUris"
          label="Post-logout redirect URIs"
          rows={2}
          spellCheck={false}
          hint="Where the app may send users after signing them out (same rules). Optional."
          error={error("postLogoutRedirectUris")}
          {...register("postLogoutRedirectUris")}
        />
      </Section>

      <Section title="Grants and scopes">
        <Fieldset id="grantTypes" legend="Permitted grant types" error={error("grantTypes")}>
          {GRANT_TYPE_CHOICES.map((choice) => (
            <CheckboxField key={choice.value} id={`grantTypes-${choice.value}`} label={choice.label} hint={choice.description} value={choice.value} {...register("grantTypes")} />
          ))}
        </Fieldset>
        <p className="text-sm text-slate-700">
          <strong className="font-medium text-slate-900">PKCE (S256): always required.</strong> Gatehouse refuses any
          authorization request without an S256 code challenge, from every client, so there is no switch for it here.
        </p>
        <Fieldset id="scopes" legend="Permitted scopes" hint="openid needs no permission: every client with the authorization code grant may sign users in." error={error("scopes")}>
          {props.scopes.map((scope, index) => (
            <CheckboxField
              key={scope.name}
              id={`scopes-${index}`}
              label={
                <>
                  <code className="rounded bg-slate-100 px-1">{scope.name}</code> {scope.displayName}
                </>
              }
              hint={scope.description || undefined}
              value={scope.name}
              {...register("scopes")}
            />
          ))}
        </Fieldset>
      </Section>

      <Section title="Token signing">
        <p className="text-sm text-slate-700">
          Both keys are published at /.well-known/jwks.json. Choose ES256 only for apps whose OpenID Connect library accepts it.
        </p>
        <div className="grid gap-4 sm:grid-cols-2">
          {SIGNING_ALGORITHM_FIELD_NAMES.map((name) => (
            <SelectField
              key={name}
              id={name}
              label={SIGNING_ALGORITHM_FIELDS[name].label}
              options={SIGNING_ALGORITHM_CHOICES}
              hint={`Server default: ${props.signingAlgorithmDefaults[name]}.`}
              error={error(name)}
              {...register(name)}
            />
          ))}
        </div>
      </Section>

      <Section title="Token lifetimes">
        <p className="text-sm text-slate-700">In seconds. Leave a field empty to use the server default.</p>
        <div className="grid gap-4 sm:grid-cols-2">
          {LIFETIME_FIELD_NAMES.map((name) => {
            const { label, min, max } = LIFETIME_FIELDS[name];
            return (
              <TextField
                key={name}
                id={name}
                label={label}
                type="number"
                inputMode="numeric"
                min={min}
                max={max}
                step={1}
                placeholder={String(props.lifetimeDefaults[name])}
                hint={`${describeDuration(min)} to ${describeDuration(max)}; default ${describeDuration(props.lifetimeDefaults[name])}.`}
                error={error(name)}
                {...register(name)}
              />
            );
          })}
        </div>
      </Section>

      <div className="flex gap-3">
        <Button type="submit" disabled={submitting}>
          {submitting ? "Saving…" : props.mode === "create" ? "Create client" : "Save changes"}
        </Button>
        <Link href="/dashboard/clients" className={buttonClass("secondary")}>
          Cancel
        </Link>
      </div>
    </form>
  );
}
