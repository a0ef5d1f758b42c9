/**
 * Validation of `POST /v1/checkout/sessions` the way Stripe validates it, for the subset the
 * emulator implements. Parameters the SDK knows but the emulator does not model are accepted and
 * ignored (they change nothing an app can observe here); parameters the pinned API version does
 * not have (e.g. `payment_method_types`, removed in v23) are refused as unknown, as Stripe does.
 */
import { MAX_AMOUNT, minimumAmount, formatAmount } from './currency.js';
import { ApiError, type FormObject, onlyKeys, readArray, readEnum, readInteger, readMetadata, readObject, readString } from './params.js';

/** Every top-level parameter of `SessionCreateParams` in stripe@23 (Checkout/Sessions.d.ts). */
const SESSION_KEYS = [
  'adaptive_pricing',
  'after_expiration',
  'allow_promotion_codes',
  'allowed_payment_method_types',
  'automatic_tax',
  'billing_address_collection',
  'branding_settings',
  'cancel_url',
  'client_reference_id',
  'consent_collection',
  'currency',
  'custom_fields',
  'custom_text',
  'customer',
  'customer_account',
  'customer_creation',
  'customer_email',
  'customer_update',
  'discounts',
  'excluded_payment_method_types',
  'expand',
  'expires_at',
  'integration_identifier',
  'invoice_creation',
  'line_items',
  'locale',
  'managed_payments',
  'metadata',
  'mode',
  'name_collection',
  'optional_items',
  'origin_context',
  'payment_intent_data',
  'payment_method_collection',
  'payment_method_configuration',
  'payment_method_data',
  'payment_method_options',
  'permissions',
  'phone_number_collection',
  'redirect_on_completion',
  'return_url',
  'saved_payment_method_options',
  'setup_intent_data',
  'shipping_address_collection',
  'shipping_options',
  'submit_type',
  'subscription_data',
  'success_url',
  'tax_id_collection',
  'ui_mode',
  'wallet_options',
] as const;
/** Checkout's page languages in stripe@23 (SessionCreateParams.Locale): Stripe refuses others (no 'ar'). */
const CHECKOUT_LOCALES: ReadonlySet<string> = new Set(
  'auto bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hi-IN hr hu id it ja ko lt lv ms mt nb nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW'.split(
    ' ',
  ),
);

function readLocale(p: FormObject): string | null {
  const locale = readString(p, 'locale') ?? null;
  if (locale !== null && !CHECKOUT_LOCALES.has(locale)) {
    throw new ApiError(400, `Invalid locale: must be one of ${[...CHECKOUT_LOCALES].join(', ')}`, 'locale', 'parameter_invalid');
  }
  return locale;
}

const LINE_ITEM_KEYS = ['adjustable_quantity', 'metadata', 'price', 'price_data', 'quantity', 'tax_rates'] as const;
const PRICE_DATA_KEYS = ['currency', 'product', 'product_data', 'recurring', 'tax_behavior', 'unit_amount', 'unit_amount_decimal'] as const;
const PRODUCT_DATA_KEYS = ['description', 'images', 'metadata', 'name', 'tax_code', 'tax_details', 'unit_label'] as const;
const RECURRING_KEYS = ['interval', 'interval_count'] as const;
const PI_DATA_KEYS = [
  'application_fee_amount',
  'capture_method',
  'description',
  'metadata',
  'on_behalf_of',
  'receipt_email',
  'setup_future_usage',
  'shipping',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'transfer_data',
  'transfer_group',
] as const;
const SUB_DATA_KEYS = [
  'application_fee_percent',
  'billing_cycle_anchor',
  'billing_cycle_anchor_config',
  'billing_mode',
  'default_tax_rates',
  'description',
  'invoice_settings',
  'metadata',
  'on_behalf_of',
  'pending_invoice_item_interval',
  'proration_behavior',
  'transfer_data',
  'trial_end',
  'trial_period_days',
  'trial_settings',
] as const;

export interface LineItemInput {
  name: string;
  description: string | null;
  currency: string;
  unitAmount: number;
  quantity: number;
  recurring: { interval: 'day' | 'week' | 'month' | 'year'; interval_count: number } | null;
}

export interface SessionInput {
  mode: 'payment' | 'subscription' | 'setup';
  lineItems: LineItemInput[];
  currency: string;
  amountTotal: number;
  successUrl: string;
  cancelUrl: string | null;
  customerEmail: string | null;
  customer: string | null;
  clientReferenceId: string | null;
  submitType: 'auto' | 'book' | 'donate' | 'pay' | 'subscribe' | null;
  metadata: Record<string, string>;
  paymentIntentMetadata: Record<string, string>;
  paymentIntentDescription: string | null;
  subscriptionMetadata: Record<string, string>;
  subscriptionDescription: string | null;
  /** setup mode: setup_intent_data[metadata] reaches the SetupIntent. */
  setupIntentMetadata: Record<string, string>;
  locale: string | null;
  expiresAt: number | null;
}

// Deliberately loose: Stripe refuses obviously broken addresses, not unusual ones.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function readUrl(p: FormObject, key: string): string | undefined {
  const v = readString(p, key, '', { max: 5000 });
  if (v === undefined) return undefined;
  let ok = false;
  try {
    const u = new URL(v.replace('{CHECKOUT_SESSION_ID}', 'x'));
    ok = u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    ok = false;
  }
  if (!ok) throw new ApiError(400, `Not a valid URL`, key, 'url_invalid');
  return v;
}

export function validateSessionCreate(p: FormObject, now: number): SessionInput {
  onlyKeys(p, SESSION_KEYS);

  const mode = readString(p, 'mode');
  if (mode === undefined) throw new ApiError(400, 'Missing required param: mode.', 'mode', 'parameter_missing');
  if (mode !== 'payment' && mode !== 'subscription' && mode !== 'setup') {
    throw new ApiError(400, `Invalid mode: must be one of payment, setup, or subscription`, 'mode', 'parameter_invalid');
  }

  const uiMode = readString(p, 'ui_mode');
  if (uiMode !== undefined && uiMode !== 'hosted_page') {
    throw new ApiError(
      400,
      `The Groundswell emulator only implements ui_mode=hosted_page (got ${uiMode}).`,
      'ui_mode',
      'parameter_invalid',
    );
  }

  const successUrl = readUrl(p, 'success_url');
  // Hosted Checkout needs somewhere to send the donor after paying.
  if (successUrl === undefined) throw new ApiError(400, 'Missing required param: success_url.', 'success_url', 'parameter_missing');
  const cancelUrl = readUrl(p, 'cancel_url') ?? null;

  if (mode === 'setup') return validateSetup(p, successUrl, cancelUrl, now);

  const rawItems = readArray(p, 'line_items');
  if (!rawItems || rawItems.length === 0) {
    throw new ApiError(400, `line_items is required in ${mode} mode.`, 'line_items', 'parameter_missing');
  }
  if (rawItems.length > 100) throw new ApiError(400, 'At most 100 line_items.', 'line_items', 'parameter_invalid');

  const lineItems = rawItems.map((raw, i): LineItemInput => {
    const at = `line_items[${i}]`;
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ApiError(400, `Invalid object: ${at}`, at, 'parameter_invalid');
    onlyKeys(raw, LINE_ITEM_KEYS, at);
    const price = readString(raw, 'price', at);
    // The emulator has no Price objects: a price id can only be one Stripe has never heard of.
    if (price !== undefined) throw new ApiError(404, `No such price: '${price}'`, `${at}[price]`, 'resource_missing');
    const pd = readObject(raw, 'price_data', at);
    if (!pd) throw new ApiError(400, `You must specify either price or price_data in ${at}.`, `${at}[price_data]`, 'parameter_missing');
    const pdAt = `${at}[price_data]`;
    onlyKeys(pd, PRICE_DATA_KEYS, pdAt);

    const currency = readString(pd, 'currency', pdAt)?.toLowerCase();
    if (!currency) throw new ApiError(400, `Missing required param: ${pdAt}[currency].`, `${pdAt}[currency]`, 'parameter_missing');
    const min = minimumAmount(currency);
    if (min === undefined) {
      throw new ApiError(
        400,
        `Invalid currency: ${currency} (not one the emulator knows the minimum charge for).`,
        `${pdAt}[currency]`,
        'parameter_invalid',
      );
    }

    if (pd['product'] !== undefined)
      throw new ApiError(404, `No such product: '${String(pd['product'])}'`, `${pdAt}[product]`, 'resource_missing');
    const prod = readObject(pd, 'product_data', pdAt);
    if (!prod) throw new ApiError(400, `Missing required param: ${pdAt}[product_data].`, `${pdAt}[product_data]`, 'parameter_missing');
    onlyKeys(prod, PRODUCT_DATA_KEYS, `${pdAt}[product_data]`);
    const name = readString(prod, 'name', `${pdAt}[product_data]`, { max: 250 });
    if (!name)
      throw new ApiError(400, `Missing required param: ${pdAt}[product_data][name].`, `${pdAt}[product_data][name]`, 'parameter_missing');
    const description = readString(prod, 'description', `${pdAt}[product_data]`) ?? null;
    readMetadata(prod, 'metadata', `${pdAt}[product_data]`);

    if (pd['unit_amount_decimal'] !== undefined) {
      throw new ApiError(
        400,
        'The Groundswell emulator only implements unit_amount (integer minor units).',
        `${pdAt}[unit_amount_decimal]`,
        'parameter_invalid',
      );
    }
    const unitAmount = readInteger(pd, 'unit_amount', pdAt);
    if (unitAmount === undefined)
      throw new ApiError(400, `Missing required param: ${pdAt}[unit_amount].`, `${pdAt}[unit_amount]`, 'parameter_missing');
    if (unitAmount < 0) throw new ApiError(400, `Invalid non-negative integer`, `${pdAt}[unit_amount]`, 'parameter_invalid_integer');
    if (unitAmount > MAX_AMOUNT) {
      throw new ApiError(
        400,
        `Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)}`,
        `${pdAt}[unit_amount]`,
        'amount_too_large',
      );
    }

    const quantity = readInteger(raw, 'quantity', at) ?? 1;
    if (quantity < 1 || quantity > 999_999)
      throw new ApiError(400, `Invalid ${at}[quantity]: must be between 1 and 999999`, `${at}[quantity]`, 'parameter_invalid_integer');

    const rec = readObject(pd, 'recurring', pdAt);
    let recurring: LineItemInput['recurring'] = null;
    if (rec) {
      onlyKeys(rec, RECURRING_KEYS, `${pdAt}[recurring]`);
      const interval = readEnum(rec, 'interval', ['day', 'week', 'month', 'year'] as const, `${pdAt}[recurring]`);
      if (!interval)
        throw new ApiError(
          400,
          `Missing required param: ${pdAt}[recurring][interval].`,
          `${pdAt}[recurring][interval]`,
          'parameter_missing',
        );
      const count = readInteger(rec, 'interval_count', `${pdAt}[recurring]`) ?? 1;
      if (count < 1 || count > 365)
        throw new ApiError(400, 'Invalid interval_count', `${pdAt}[recurring][interval_count]`, 'parameter_invalid_integer');
      recurring = { interval, interval_count: count };
    }
    if (recurring && mode === 'payment') {
      throw new ApiError(
        400,
        'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
        `${pdAt}[recurring]`,
        'parameter_invalid',
      );
    }
    if (!recurring && mode === 'subscription') {
      // Stripe allows one-time items beside a recurring one; the emulator does not model that mix.
      throw new ApiError(
        400,
        'You must provide at least one recurring price in `subscription` mode when using prices (the emulator requires every item to be recurring).',
        `${pdAt}[recurring]`,
        'parameter_invalid',
      );
    }
    return { name, description, currency, unitAmount, quantity, recurring };
  });

  const currency = lineItems[0]!.currency;
  if (lineItems.some((li) => li.currency !== currency)) {
    throw new ApiError(400, 'All line_items must use the same currency.', 'line_items', 'parameter_invalid');
  }
  if (mode === 'subscription') {
    const r0 = lineItems[0]!.recurring!;
    if (lineItems.some((li) => li.recurring!.interval !== r0.interval || li.recurring!.interval_count !== r0.interval_count)) {
      throw new ApiError(400, 'All recurring prices must share the same billing interval.', 'line_items', 'parameter_invalid');
    }
  }
  const amountTotal = lineItems.reduce((s, li) => s + li.unitAmount * li.quantity, 0);
  const min = minimumAmount(currency)!;
  if (amountTotal < min) {
    throw new ApiError(
      400,
      `The Checkout Session's total amount due must add up to at least ${formatAmount(min, currency)} ${currency}`,
      'line_items[0][price_data][unit_amount]',
      'amount_too_small',
    );
  }
  if (amountTotal > MAX_AMOUNT) {
    throw new ApiError(400, `Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)}`, 'line_items', 'amount_too_large');
  }

  const customerEmail = readString(p, 'customer_email', '', { max: 800 }) ?? null;
  if (customerEmail !== null && !EMAIL.test(customerEmail)) {
    throw new ApiError(400, `Invalid email address: ${customerEmail}`, 'customer_email', 'email_invalid');
  }
  const customer = readString(p, 'customer') ?? null;
  if (customer !== null && customerEmail !== null) {
    throw new ApiError(
      400,
      'You may only specify one of these parameters: customer, customer_email.',
      'customer_email',
      'parameter_invalid',
    );
  }

  const submitType = readEnum(p, 'submit_type', ['auto', 'book', 'donate', 'pay', 'subscribe'] as const) ?? null;
  const clientReferenceId = readString(p, 'client_reference_id', '', { max: 200 }) ?? null;
  const metadata = readMetadata(p, 'metadata');
  const locale = readLocale(p);

  const pid = readObject(p, 'payment_intent_data');
  if (pid && mode !== 'payment') {
    throw new ApiError(400, 'You can not pass `payment_intent_data` in `subscription` mode.', 'payment_intent_data', 'parameter_invalid');
  }
  if (pid) onlyKeys(pid, PI_DATA_KEYS, 'payment_intent_data');
  const sd = readObject(p, 'subscription_data');
  if (sd && mode !== 'subscription') {
    throw new ApiError(400, 'You can not pass `subscription_data` in `payment` mode.', 'subscription_data', 'parameter_invalid');
  }
  if (sd) onlyKeys(sd, SUB_DATA_KEYS, 'subscription_data');

  const expiresAt = readInteger(p, 'expires_at') ?? null;
  // Stripe: between 30 minutes and 24 hours after creation.
  if (expiresAt !== null && (expiresAt < now + 30 * 60 || expiresAt > now + 24 * 3600)) {
    throw new ApiError(
      400,
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from now.',
      'expires_at',
      'parameter_invalid',
    );
  }

  return {
    mode,
    lineItems,
    currency,
    amountTotal,
    successUrl,
    cancelUrl,
    customerEmail,
    customer,
    clientReferenceId,
    submitType,
    metadata,
    paymentIntentMetadata: pid ? readMetadata(pid, 'metadata', 'payment_intent_data') : {},
    paymentIntentDescription: pid ? (readString(pid, 'description', 'payment_intent_data') ?? null) : null,
    subscriptionMetadata: sd ? readMetadata(sd, 'metadata', 'subscription_data') : {},
    subscriptionDescription: sd ? (readString(sd, 'description', 'subscription_data') ?? null) : null,
    setupIntentMetadata: {},
    locale,
    expiresAt,
  };
}

const SETUP_INTENT_DATA_KEYS = ['description', 'metadata', 'on_behalf_of'] as const;

/** setup mode: saves a payment method for later, charges nothing. No line items; `currency` is
 * required when `allowed_payment_method_types` is not given (dynamic payment methods). */
function validateSetup(p: FormObject, successUrl: string, cancelUrl: string | null, now: number): SessionInput {
  if (p['line_items'] !== undefined) {
    throw new ApiError(400, 'You cannot pass `line_items` in `setup` mode.', 'line_items', 'parameter_invalid');
  }
  for (const key of ['payment_intent_data', 'subscription_data', 'submit_type'] as const) {
    if (p[key] !== undefined) throw new ApiError(400, `You can not pass \`${key}\` in \`setup\` mode.`, key, 'parameter_invalid');
  }
  const currency = readString(p, 'currency')?.toLowerCase();
  if (!currency && p['allowed_payment_method_types'] === undefined) {
    throw new ApiError(
      400,
      'Missing required param: currency. It is required in setup mode when allowed_payment_method_types is not set.',
      'currency',
      'parameter_missing',
    );
  }
  if (currency && minimumAmount(currency) === undefined) {
    throw new ApiError(400, `Invalid currency: ${currency}`, 'currency', 'parameter_invalid');
  }
  const customer = readString(p, 'customer') ?? null;
  const customerEmail = readString(p, 'customer_email', '', { max: 800 }) ?? null;
  if (customer !== null && customerEmail !== null) {
    throw new ApiError(
      400,
      'You may only specify one of these parameters: customer, customer_email.',
      'customer_email',
      'parameter_invalid',
    );
  }
  const sid = readObject(p, 'setup_intent_data');
  if (sid) onlyKeys(sid, SETUP_INTENT_DATA_KEYS, 'setup_intent_data');
  const expiresAt = readInteger(p, 'expires_at') ?? null;
  if (expiresAt !== null && (expiresAt < now + 30 * 60 || expiresAt > now + 24 * 3600)) {
    throw new ApiError(
      400,
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from now.',
      'expires_at',
      'parameter_invalid',
    );
  }
  return {
    mode: 'setup',
    lineItems: [],
    currency: currency ?? 'usd',
    amountTotal: 0,
    successUrl,
    cancelUrl,
    customerEmail,
    customer,
    clientReferenceId: readString(p, 'client_reference_id', '', { max: 200 }) ?? null,
    submitType: null,
    metadata: readMetadata(p, 'metadata'),
    paymentIntentMetadata: {},
    paymentIntentDescription: null,
    subscriptionMetadata: {},
    subscriptionDescription: null,
    setupIntentMetadata: sid ? readMetadata(sid, 'metadata', 'setup_intent_data') : {},
    locale: readLocale(p),
    expiresAt,
  };
}
