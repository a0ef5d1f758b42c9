/**
 * Where a donor may be sent back to after Checkout, and what of it we keep.
 *
 * Only origin + path of the page they came from: a query string or fragment can hold a password
 * reset token or a campaign tag, and would travel to Stripe in the success and cancel URLs. Only
 * to an origin the organisation allows for the campaign (campaigns.allowed_origins), or to our
 * own PUBLIC_URL: otherwise anyone could mint a Checkout page of this organisation whose "Back
 * to ..." leads to a site of their choosing. Anything else: no return link (the pages then link
 * to our own /donate/<slug> or front page).
 */
export function returnTarget(raw: string | null | undefined, allowedOrigins: readonly string[], publicUrl: string): string | undefined {
  if (!raw || raw.length > 2048) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  if (u.username || u.password) return undefined;
  const own = new URL(publicUrl).origin;
  if (u.origin !== own && !allowedOrigins.includes(u.origin)) return undefined;
  return `${u.origin}${u.pathname}`;
}
