import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** A stand-in for the browser's EventSource that the test drives by hand. */
class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onerror: (() => void) | null = null;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  emit(type: string, data: unknown) {
    this.readyState = FakeEventSource.OPEN;
    for (const fn of this.listeners.get(type) ?? []) fn({ data: JSON.stringify(data) } as MessageEvent);
  }
  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.onerror?.();
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
}

const progress = (total: number) => ({ slug: 'year-end', total, percent: 0 });

describe('web/lib/live: one feed per campaign, SSE first, polling after repeated failures', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.resetModules();
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    fetchMock = vi.fn(async () => new Response(JSON.stringify(progress(99)), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('gives a banner that joins an open feed the latest state at once (it may have rendered older numbers)', async () => {
    const { subscribeProgress } = await import('../../../web/lib/live.js');
    const a: number[] = [];
    const late: number[] = [];
    subscribeProgress('https://give.example', 'year-end', (p) => a.push(p.total));
    FakeEventSource.instances[0]!.emit('progress', progress(10));
    FakeEventSource.instances[0]!.emit('progress', progress(20));
    subscribeProgress('https://give.example', 'year-end', (p) => late.push(p.total));
    expect(late).toEqual([20]);
    FakeEventSource.instances[0]!.emit('progress', progress(30));
    expect(a).toEqual([10, 20, 30]);
    expect(late).toEqual([20, 30]);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('shares one stream between banners of the same campaign and closes it with the last one', async () => {
    const { subscribeProgress } = await import('../../../web/lib/live.js');
    const a: number[] = [];
    const b: number[] = [];
    const stopA = subscribeProgress('https://give.example', 'year-end', (p) => a.push(p.total));
    const stopB = subscribeProgress('https://give.example', 'year-end', (p) => b.push(p.total));
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(FakeEventSource.instances[0]!.url).toBe('https://give.example/api/campaigns/year-end/stream');
    FakeEventSource.instances[0]!.emit('progress', progress(10));
    FakeEventSource.instances[0]!.emit('progress', progress(10)); // same state: no re-render
    FakeEventSource.instances[0]!.emit('progress', progress(20));
    expect(a).toEqual([10, 20]);
    expect(b).toEqual([10, 20]);
    stopA();
    expect(FakeEventSource.instances[0]!.readyState).not.toBe(FakeEventSource.CLOSED);
    stopB();
    expect(FakeEventSource.instances[0]!.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('lets the browser reconnect, reconnects itself when the browser gives up, then falls back to polling', async () => {
    const { subscribeProgress } = await import('../../../web/lib/live.js');
    const seen: number[] = [];
    const stop = subscribeProgress('', 'year-end', (p) => seen.push(p.total), { pollMs: 1000, maxStreamFailures: 3 });
    const first = FakeEventSource.instances[0]!;
    first.emit('progress', progress(1));
    first.fail(false); // dropped: EventSource retries by itself
    expect(FakeEventSource.instances).toHaveLength(1);
    first.emit('progress', progress(2)); // back
    first.fail(true); // HTTP error: the browser gave up
    await vi.advanceTimersByTimeAsync(2000);
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.instances[1]!.fail(true);
    await vi.advanceTimersByTimeAsync(4000);
    expect(FakeEventSource.instances).toHaveLength(3);
    FakeEventSource.instances[2]!.fail(true); // third failure in a row: poll instead
    expect(fetchMock).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(String(fetchMock.mock.calls[0]![0])).toBe('/api/campaigns/year-end');
    expect((fetchMock.mock.calls[0]![1] as RequestInit).cache).toBe('no-cache');
    expect(seen).toEqual([1, 2, 99]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});
