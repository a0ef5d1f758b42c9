import { z } from 'zod';
import { multiLine, singleLine } from '../campaigns/schemas.js';

const optional = <T extends z.ZodType<string>>(t: T) => t.optional().transform((v) => (v ? v : undefined));

export const checkoutSchema = z.strictObject({
  amount: z
    .number({ error: 'must be a number of minor units (cents)' })
    .int('must be a whole number of minor units (cents)')
    .positive('must be positive'),
  frequency: z.enum(['once', 'monthly'], { error: 'must be "once" or "monthly"' }),
  coverFees: z.boolean().optional().default(false),
  name: optional(singleLine(100)),
  email: z
    .email('must be a valid e-mail address')
    .max(254)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  anonymous: z.boolean().optional().default(false),
  comment: optional(multiLine(500)),
  /** Turnstile/hCaptcha response, required only while card testing has switched the CAPTCHA on. */
  captchaToken: z.string().max(4096).optional(),
  /** The embedding page (origin + path) to return the donor to; kept only on an allowed origin. */
  returnTo: z.string().max(2048).optional(),
  /** The copy variant the reader saw (Progress.variants[].id); an unknown one is recorded as none. */
  variant: z.string().max(40).optional(),
  dedication: z
    .strictObject({
      kind: z.enum(['honor', 'memory']),
      name: singleLine(100).pipe(z.string().min(1, 'is required')),
    })
    .optional(),
});

export type CheckoutInput = z.infer<typeof checkoutSchema>;
