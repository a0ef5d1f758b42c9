/**
 * Signed webhook delivery with Stripe's semantics as far as an app can observe them: the body is
 * pretty-printed JSON (so an app that re-serialises before verifying fails here as it would in
 * production), `Stripe-Signature: t=...,v1=...` is computed by the SDK's own helper with a fresh
 * timestamp per attempt, and a non-2xx answer or a thrown error is retried on a schedule.
 */
import Stripe from 'stripe';
import type { EEvent } from './objects.js';

export interface DeliveryAttempt {
  at: Date;
  status?: number;
  error?: string;
}

export interface DeliveryRecord {
  attempts: DeliveryAttempt[];
  state: 'pending' | 'delivered' | 'retrying' | 'failed';
}

export interface DeliveryOptions {
  webhookSecret: string;
  deliver: (body: string, headers: Record<string, string>) => Promise<{ status: number }>;
  retryDelaysMs: number[];
  /** An endpoint that never answers must not wedge every later control call. */
  timeoutMs?: number;
  log?: { info(...a: unknown[]): void; warn(...a: unknown[]): void };
}

export class WebhookDelivery {
  readonly records = new Map<string, DeliveryRecord>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly background = new Set<Promise<void>>();
  /** First attempts run one at a time across all control calls, so events arrive in generation order. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: DeliveryOptions) {}

  /** Delivers each event once, in order, awaited; failures continue in the background. */
  deliverAll(events: EEvent[]): Promise<void> {
    for (const e of events) this.records.set(e.id, { attempts: [], state: 'pending' });
    const run = this.chain.then(async () => {
      for (const e of events) {
        const ok = await this.attempt(e);
        if (!ok) this.scheduleRetries(e);
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The event was pruned (retention): its delivery log goes with it. */
  forget(eventId: string): void {
    this.records.delete(eventId);
  }

  private async attempt(event: EEvent): Promise<boolean> {
    // A record pruned while its event is still being retried is kept only for this attempt.
    const record = this.records.get(event.id) ?? { attempts: [], state: 'pending' };
    const body = JSON.stringify(event, null, 2);
    const headers = {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks) Groundswell-emulator',
      // Signed with the wall clock, not the emulator's clock: the receiver checks the timestamp
      // against its own wall clock (300 s tolerance), whatever time the objects pretend it is.
      'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: this.opts.webhookSecret }),
    };
    const attempt: DeliveryAttempt = { at: new Date() };
    record.attempts.push(attempt);
    try {
      const res = await withTimeout(this.opts.deliver(body, headers), this.opts.timeoutMs ?? 30_000);
      attempt.status = res.status;
      if (res.status >= 200 && res.status < 300) {
        record.state = 'delivered';
        event.pending_webhooks = 0;
        return true;
      }
      this.opts.log?.warn({ event: event.id, type: event.type, status: res.status }, 'emulator webhook refused');
    } catch (err) {
      attempt.error = err instanceof Error ? err.message : String(err);
      this.opts.log?.warn({ event: event.id, type: event.type, err: attempt.error }, 'emulator webhook failed');
    }
    record.state = 'retrying';
    return false;
  }

  private scheduleRetries(event: EEvent): void {
    const record = this.records.get(event.id) ?? { attempts: [], state: 'retrying' };
    const task = (async () => {
      for (const delay of this.opts.retryDelaysMs) {
        if (this.closed) break;
        await this.sleep(delay);
        if (this.closed) break;
        if (await this.attempt(event)) return;
      }
      record.state = 'failed';
      this.opts.log?.warn({ event: event.id, type: event.type, attempts: record.attempts.length }, 'emulator webhook given up');
    })();
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.timers.add(entry);
    });
  }

  /** Waits for the first attempts in flight and every background retry to succeed or give up. */
  async flush(): Promise<void> {
    await this.chain;
    while (this.background.size > 0) {
      await Promise.all([...this.background]);
      await this.chain;
    }
  }

  /** Stops retrying: pending sleeps wake up and the retry loops end as given up. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.wake();
    }
    this.timers.clear();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
