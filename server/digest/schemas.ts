import { z } from 'zod';

/** POST /api/digest/subscribe: consent must be given explicitly (true, not "yes" or 1). */
export const subscribeSchema = z.strictObject({
  email: z
    .string({ error: 'is required' })
    .trim()
    .max(254, 'must be at most 254 characters')
    .pipe(z.email('must be a valid e-mail address'))
    .transform((e) => e.toLowerCase()),
  consent: z.literal(true, { error: 'must be true: tick the box to agree to receive the digest' }),
});

export type SubscribeInput = z.infer<typeof subscribeSchema>;
