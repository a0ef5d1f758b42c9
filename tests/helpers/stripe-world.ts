/**
 * A small "what Stripe holds now" for tests that invent their own events: objects registered
 * here are what the SDK reads back (GET /v1/<resource>/<id>, invoice payments of an invoice),
 * every other request goes on to the emulator. Tests register the final state of each object,
 * as Stripe would show it when a late or old-version event makes the app re-read it.
 */
const RESOURCES = new Set([
  'checkout/sessions',
  'invoices',
  'invoice_payments',
  'charges',
  'refunds',
  'disputes',
  'subscriptions',
  'payment_intents',
]);

export class StripeWorld {
  private objects = new Map<string, Record<string, unknown>>();

  put(object: { id: string } & Record<string, unknown>): void {
    this.objects.set(object.id, structuredClone(object));
  }

  /** The fetch the SDK uses: answers from the world, else from `next` (the emulator). */
  fetch(next: typeof fetch): typeof fetch {
    return async (input, init) => {
      const req = input instanceof Request && !init ? input : new Request(input, init);
      const url = new URL(req.url);
      if (req.method === 'GET') {
        const m = /^\/v1\/(.+)\/([^/]+)$/.exec(url.pathname);
        if (m && RESOURCES.has(m[1]!) && this.objects.has(m[2]!)) {
          const obj = structuredClone(this.objects.get(m[2]!)!);
          if (obj['object'] === 'invoice' && [...url.searchParams.values()].includes('payments'))
            obj['payments'] = this.list(this.paymentsOf(m[2]!));
          return Response.json(obj);
        }
        const invoice = url.searchParams.get('invoice');
        if (url.pathname === '/v1/invoice_payments' && invoice && this.objects.has(invoice))
          return Response.json(this.list(this.paymentsOf(invoice)));
      }
      return next(req);
    };
  }

  private paymentsOf(invoiceId: string) {
    return [...this.objects.values()].filter((o) => o['object'] === 'invoice_payment' && o['invoice'] === invoiceId);
  }

  private list(data: unknown[]) {
    return { object: 'list', data, has_more: false, url: '/v1/invoice_payments' };
  }
}
