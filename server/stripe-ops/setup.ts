import Stripe from 'stripe';
import { HANDLED_TYPES } from '../webhooks/handlers.js';

/**
 * `npm run stripe:setup` (SPEC §12): the webhook endpoint at PUBLIC_URL/webhooks/stripe, made
 * through the API so that it is pinned to the SDK's API version (an endpoint made in the
 * Dashboard takes the account's default version, often years old, STRIPE.md) and listens to
 * exactly the events the app handles (server/webhooks/handlers.ts HANDLED_TYPES). Idempotent:
 * a second run changes nothing and says so.
 *
 * Stripe fixes an endpoint's api_version when it is created (update takes none), so an endpoint
 * of ours in another version is replaced: a new one is created in the pinned version and the old
 * one disabled. Events signed with the new secret are refused (400) until STRIPE_WEBHOOK_SECRET
 * is updated; Stripe retries them for three days and reconciliation recovers any gap, so no
 * event is lost in the switch.
 */

export const WEBHOOK_PATH = '/webhooks/stripe';

export interface SetupResult {
  action: 'created' | 'replaced' | 'updated' | 'unchanged';
  endpoint: Stripe.WebhookEndpoint;
  /** The signing secret: only when an endpoint was created (Stripe shows it once). */
  secret: string | null;
  /** What changed, one line each (empty when unchanged). */
  changes: string[];
}

/** The events the app handles, as the endpoint should list them. */
export const wantedEvents = (): Stripe.WebhookEndpointCreateParams.EnabledEvent[] => [...HANDLED_TYPES].sort();

export function webhookUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
}

export async function listEndpoints(stripe: Stripe): Promise<Stripe.WebhookEndpoint[]> {
  const all: Stripe.WebhookEndpoint[] = [];
  for await (const e of stripe.webhookEndpoints.list({ limit: 100 })) all.push(e);
  return all;
}

export async function setupWebhookEndpoint(stripe: Stripe, publicUrl: string): Promise<SetupResult> {
  const url = webhookUrl(publicUrl);
  const pinned = Stripe.API_VERSION;
  const wanted = wantedEvents();
  const ours = (await listEndpoints(stripe)).filter((e) => e.url === url);
  const current = ours.find((e) => e.api_version === pinned && e.status === 'enabled') ?? ours.find((e) => e.api_version === pinned);
  const changes: string[] = [];

  // Others at our URL in another version would deliver every event a second time, in a shape
  // the handlers would have to re-read: disabled (kept, so their delivery history stays visible).
  const retireOthers = async (keep: string) => {
    for (const e of ours) {
      if (e.id === keep || e.status === 'disabled' || e.api_version === pinned) continue;
      await stripe.webhookEndpoints.update(e.id, { disabled: true });
      changes.push(`disabled endpoint ${e.id} (API version ${e.api_version ?? 'account default'})`);
    }
  };

  if (!current) {
    const created = await stripe.webhookEndpoints.create({
      url,
      api_version: pinned,
      enabled_events: wanted,
      description: 'Groundswell donations (npm run stripe:setup)',
    });
    changes.push(`created endpoint ${created.id} (API version ${pinned}, ${wanted.length} events)`);
    await retireOthers(created.id);
    return { action: ours.length ? 'replaced' : 'created', endpoint: created, secret: created.secret ?? null, changes };
  }

  const have = new Set(current.enabled_events);
  const want = new Set<string>(wanted);
  const added = wanted.filter((e) => !have.has(e));
  const removed = current.enabled_events.filter((e) => !want.has(e));
  let endpoint = current;
  if (added.length || removed.length || current.status !== 'enabled') {
    endpoint = await stripe.webhookEndpoints.update(current.id, {
      enabled_events: wanted,
      ...(current.status !== 'enabled' && { disabled: false }),
    });
    if (added.length) changes.push(`events added: ${added.join(', ')}`);
    if (removed.length) changes.push(`events removed: ${removed.join(', ')}`);
    if (current.status !== 'enabled') changes.push(`endpoint ${current.id} enabled again`);
  }
  await retireOthers(current.id);
  return { action: changes.length ? 'updated' : 'unchanged', endpoint, secret: null, changes };
}

/** What a person reads after a run. */
export function describeSetup(r: SetupResult): string[] {
  const e = r.endpoint;
  const head = `${e.url}: endpoint ${e.id}, API version ${e.api_version}, ${e.enabled_events.length} events`;
  switch (r.action) {
    case 'unchanged':
      return [`Webhook endpoint up to date, nothing changed (${head}).`];
    case 'updated':
      return [`Webhook endpoint updated (${head}):`, ...r.changes.map((c) => `  - ${c}`)];
    default:
      return [
        `Webhook endpoint ${r.action} (${head}):`,
        ...r.changes.map((c) => `  - ${c}`),
        '',
        `Signing secret (shown only now): ${r.secret ?? '(not returned by the server)'}`,
        'Set it as STRIPE_WEBHOOK_SECRET and restart the server.',
        ...(r.action === 'replaced'
          ? [
              'Until then, events signed with the new secret are refused and Stripe retries them (up to three days); reconciliation recovers any gap.',
            ]
          : []),
      ];
  }
}
