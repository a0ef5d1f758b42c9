/**
 * Stripe's wire format for request parameters: `application/x-www-form-urlencoded` with bracketed
 * keys (`line_items[0][price_data][unit_amount]=500`, `expand[]=x`), the format the `stripe` SDK
 * produces (qs "indices" style). There is no `qs` in node_modules, so this is a small parser of
 * our own, plus typed readers that fail the way Stripe fails: a 400 naming the parameter.
 */

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

/** An error the REST API returns as `{error:{type, code, param, message}}` (the SDK turns it into a typed error). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly code?: string,
    readonly type: 'invalid_request_error' | 'idempotency_error' | 'api_error' = 'invalid_request_error',
  ) {
    super(message);
  }

  toJSON() {
    return {
      error: {
        type: this.type,
        ...(this.code ? { code: this.code } : {}),
        ...(this.param ? { param: this.param } : {}),
        message: this.message,
      },
    };
  }
}

/**
 * How many segments one key may have (`a[b][0][c]` has 4). Stripe publishes no nesting limit for
 * v1 form parameters; what it documents is flat metadata (string values, at most 50 keys, keys
 * without `[` `]`: https://docs.stripe.com/metadata) and `expand` paths of at most four levels
 * (https://docs.stripe.com/expand). The deepest parameter of the API itself, measured over every
 * request-params type of stripe-node 23.1.0 (generated from Stripe's OpenAPI spec), has 8
 * segments: `schedule_details[pause_schedules][0][pause][settings][bill_for][outstanding_usage_through][type]`
 * (POST /v1/invoices/create_preview); Checkout Sessions, the deepest the emulator serves, go to 7
 * (`shipping_options[0][shipping_rate_data][fixed_amount][currency_options][eur][amount]`).
 * So 8 accepts every parameter the SDK can legitimately send, and a deeper key, which cannot be a
 * Stripe parameter, is refused with a 400 before it costs anything.
 */
export const MAX_DEPTH = 8;
/** Pairs per body or query string: far above any real request, low enough to bound the work. */
export const MAX_PAIRS = 2000;

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new ApiError(400, 'Invalid request: malformed percent-encoding in the body or query string.');
  }
}

/** `a[b][0][c]` → ['a', 'b', '0', 'c']; `a[]` → ['a', ''] (append). */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open === -1) return [key];
  const base = key.slice(0, open);
  const rest = key.slice(open);
  const segments: string[] = [base];
  const re = /\[([^[\]]*)\]/g;
  let consumed = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    if (m.index !== consumed) break;
    segments.push(m[1]!);
    consumed = re.lastIndex;
  }
  if (!base || consumed !== rest.length) {
    throw new ApiError(400, `Invalid parameter name: ${key}`, key, 'parameter_invalid');
  }
  return segments;
}

/**
 * Parses a form body or query string into nested objects; objects whose keys are all indices
 * become arrays. Conflicting shapes (`a=1&a[b]=2`) and prototype keys are refused instead of
 * guessed at, because a guessed parameter is how an emulator hides a client bug.
 */
export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  const pairs = body.split('&').filter((p) => p !== '');
  if (pairs.length > MAX_PAIRS) throw new ApiError(400, 'Too many parameters.');
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const rawKey = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    const segments = splitKey(rawKey);
    if (segments.length > MAX_DEPTH) throw new ApiError(400, `Parameter nested too deeply: ${rawKey}`, rawKey);
    if (segments.some((s) => s === '__proto__' || s === 'constructor' || s === 'prototype')) {
      throw new ApiError(400, `Invalid parameter name: ${rawKey}`, rawKey, 'parameter_invalid');
    }
    let node: FormObject = root;
    for (let i = 0; i < segments.length; i++) {
      let seg = segments[i]!;
      if (seg === '') seg = String(Object.keys(node).length); // `x[]` appends
      const last = i === segments.length - 1;
      const existing = Object.hasOwn(node, seg) ? node[seg] : undefined;
      if (last) {
        if (existing !== undefined) {
          throw new ApiError(400, `Invalid parameters: ${rawKey} given more than once or with conflicting shapes.`, rawKey);
        }
        node[seg] = value;
      } else {
        if (existing === undefined) {
          const child: FormObject = {};
          node[seg] = child;
          node = child;
        } else if (typeof existing === 'object' && !Array.isArray(existing)) {
          node = existing;
        } else {
          throw new ApiError(400, `Invalid parameters: ${rawKey} conflicts with a scalar value.`, rawKey);
        }
      }
    }
  }
  return finalize(root) as FormObject;
}

function finalize(v: FormValue): FormValue {
  if (typeof v === 'string' || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map((k) => [Number(k), v[k]!] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, x]) => finalize(x));
  }
  const out: FormObject = {};
  for (const k of keys) out[k] = finalize(v[k]!);
  return out;
}

// ---- typed readers: each names the full parameter path in its error, as Stripe does ----

export function onlyKeys(o: FormObject, allowed: readonly string[], prefix = ''): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const name = prefix ? `${prefix}[${k}]` : k;
      throw new ApiError(400, `Received unknown parameter: ${name}`, name, 'parameter_unknown');
    }
  }
}

export function readString(o: FormObject, key: string, prefix = '', opts: { max?: number } = {}): string | undefined {
  const v = o[key];
  const name = prefix ? `${prefix}[${key}]` : key;
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ApiError(400, `Invalid string: ${name} must be a string`, name, 'parameter_invalid_string');
  if (opts.max !== undefined && v.length > opts.max) {
    throw new ApiError(400, `Invalid string: ${name} must be at most ${opts.max} characters`, name, 'parameter_invalid_string');
  }
  return v;
}

export function readInteger(o: FormObject, key: string, prefix = ''): number | undefined {
  const v = o[key];
  const name = prefix ? `${prefix}[${key}]` : key;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d{1,15}$/.test(v)) {
    throw new ApiError(400, `Invalid integer: ${typeof v === 'string' ? v : name}`, name, 'parameter_invalid_integer');
  }
  return Number(v);
}

export function readBoolean(o: FormObject, key: string, prefix = ''): boolean | undefined {
  const v = o[key];
  const name = prefix ? `${prefix}[${key}]` : key;
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new ApiError(400, `Invalid boolean: ${name}`, name, 'parameter_invalid');
  return v === 'true';
}

export function readObject(o: FormObject, key: string, prefix = ''): FormObject | undefined {
  const v = o[key];
  const name = prefix ? `${prefix}[${key}]` : key;
  if (v === undefined || v === '') return undefined; // '' is how the SDK sends an emptied object
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, `Invalid object: ${name}`, name, 'parameter_invalid');
  return v;
}

export function readArray(o: FormObject, key: string, prefix = ''): FormValue[] | undefined {
  const v = o[key];
  const name = prefix ? `${prefix}[${key}]` : key;
  if (v === undefined || v === '') return undefined;
  if (!Array.isArray(v)) throw new ApiError(400, `Invalid array: ${name}`, name, 'parameter_invalid');
  return v;
}

export function readEnum<T extends string>(o: FormObject, key: string, values: readonly T[], prefix = ''): T | undefined {
  const v = readString(o, key, prefix);
  const name = prefix ? `${prefix}[${key}]` : key;
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) {
    throw new ApiError(400, `Invalid ${name}: must be one of ${values.join(', ')}`, name, 'parameter_invalid');
  }
  return v as T;
}

/** Stripe's metadata limits: 50 keys, 40-character keys, 500-character string values. */
export function readMetadata(o: FormObject, key: string, prefix = ''): Record<string, string> {
  const name = prefix ? `${prefix}[${key}]` : key;
  const m = readObject(o, key, prefix);
  if (!m) return {};
  const entries = Object.entries(m);
  if (entries.length > 50) throw new ApiError(400, `Invalid ${name}: at most 50 keys`, name, 'parameter_invalid');
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k.length > 40) throw new ApiError(400, `Invalid ${name}: keys must be at most 40 characters`, `${name}[${k}]`, 'parameter_invalid');
    if (typeof v !== 'string')
      throw new ApiError(400, `Invalid ${name}[${k}]: metadata values must be strings`, `${name}[${k}]`, 'parameter_invalid');
    if (v.length > 500)
      throw new ApiError(400, `Invalid ${name}[${k}]: values must be at most 500 characters`, `${name}[${k}]`, 'parameter_invalid');
    if (v !== '') out[k] = v; // an empty value unsets the key in Stripe
  }
  return out;
}

/** Order-insensitive canonical form, for comparing the params of two requests with one idempotency key. */
export function canonical(v: FormValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
    .join(',')}}`;
}
