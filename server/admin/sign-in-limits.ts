import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError } from '../errors.js';
import { createLimiter, type Limiter } from '../lib/rate-limit.js';

const MINUTE = 60;

/**
 * Password-guessing limits that slow the attacker, not the account (SPEC §11; README
 * "Security → Admin sign-in" argues the numbers). Every attempt spends its points before the
 * password is checked, so parallel guesses cannot slip past; a success gives them back.
 *
 * From a browser without a known-device cookie for the account:
 *  - per address: 20 attempts per 15 minutes over all accounts;
 *  - per (address, account): 5 per 15 minutes;
 *  - per account: once 30 attempts in 15 minutes came from unknown devices (guessing spread over
 *    many addresses), each address gets one attempt per 10 minutes for that account. Never a
 *    lock-out for everyone: a new address still gets its attempt at once.
 * From a known device of the account (signed cookie from an earlier sign-in, devices.ts):
 *  none of the above, only 10 wrong passwords per 15 minutes per device, so whatever strangers
 *  do elsewhere, and even at the admin's own (shared, NATed) address, the admin gets in.
 */
export function signInLimits(db: Kysely<Database>) {
  const perIp = createLimiter(db, { keyPrefix: 'admin-login-ip', points: 20, durationSeconds: 15 * MINUTE });
  const perIpAccount = createLimiter(db, { keyPrefix: 'admin-login-account', points: 5, durationSeconds: 15 * MINUTE });
  const perAccount = createLimiter(db, { keyPrefix: 'admin-login-account-new-device', points: 30, durationSeconds: 15 * MINUTE });
  const slowLane = createLimiter(db, { keyPrefix: 'admin-login-slow-lane', points: 1, durationSeconds: 10 * MINUTE });
  const perDevice = createLimiter(db, { keyPrefix: 'admin-login-device', points: 10, durationSeconds: 15 * MINUTE });
  // Re-entering one's password while signed in (re-authentication, password change): per session.
  const passwordCheck = createLimiter(db, { keyPrefix: 'admin-password-check', points: 5, durationSeconds: 15 * MINUTE });

  return {
    /**
     * Spends an attempt (429 with Retry-After when the caller must wait) and returns what to
     * call when the password turned out right.
     */
    async attempt(a: { ip: string; email: string; adminId: number | null; device: string | null }): Promise<() => Promise<void>> {
      if (a.device && a.adminId !== null) {
        const key = `${a.adminId}|${a.device}`;
        await limited(perDevice, key, 'Too many wrong passwords on this device');
        return () => perDevice.reset(key);
      }
      const pair = `${a.email}|${a.ip}`;
      await limited(perIp, a.ip, 'Too many sign-in attempts from this connection');
      await limited(perIpAccount, pair, 'Too many sign-in attempts for this account from this connection');
      let underAttack = false;
      try {
        await perAccount.consume([a.email], 'under attack');
      } catch (err) {
        if (!(err instanceof AppError && err.status === 429)) throw err;
        underAttack = true;
      }
      if (underAttack) {
        await limited(
          slowLane,
          pair,
          'This account has had many wrong passwords lately, so each connection gets one try per 10 minutes from a browser that has not signed in to it before',
        );
      }
      return async () => {
        await perIpAccount.reset(pair);
        // Only failures count: an office of admins behind one address signing in all day is not an attack.
        await perIp.refund(a.ip);
        await perAccount.refund(a.email);
      };
    },

    /** A signed-in admin re-enters their password (re-authentication, password change). */
    async passwordCheck(sessionId: string): Promise<() => Promise<void>> {
      await limited(passwordCheck, sessionId, 'Too many wrong passwords');
      return () => passwordCheck.reset(sessionId);
    },
  };
}

export type SignInLimits = ReturnType<typeof signInLimits>;

/** The limiter's 429, with the wait spelt out for a person at the sign-in form. */
export async function limited(limiter: Limiter, key: string, what: string): Promise<void> {
  try {
    await limiter.consume([key], what);
  } catch (err) {
    if (err instanceof AppError && err.status === 429) {
      const seconds = Number(err.headers?.['Retry-After'] ?? 60);
      const wait = seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
      throw new AppError('rate_limited', 429, `${what}; please wait ${wait} and try again.`, undefined, err.headers);
    }
    throw err;
  }
}
