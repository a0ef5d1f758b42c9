import type { AdminTables } from './schema/admin.js';
import type { CoreTables } from './schema/core.js';
import type { DigestTables } from './schema/digest.js';
import type { OrganisationTables } from './schema/organisation.js';
import type { MailTables } from './schema/mail.js';
import type { StripeOpsTables } from './schema/stripe-ops.js';
import type { ManageTables } from './schema/manage.js';
import type { GivingTables } from './schema/giving.js';
import type { StatementTables } from './schema/statements.js';
import type { VariantTables } from './schema/variants.js';
import type { LanguageTables } from './schema/languages.js';
import type { SlotTables } from './schema/slots.js';

export * from './schema/core.js';
export type { BreakerReason, PledgeStatus } from './schema/giving.js';

/** The whole database, one fragment per feature so parallel work does not collide. */
export interface Database
  extends CoreTables,
    DigestTables,
    AdminTables,
    OrganisationTables,
    MailTables,
    ManageTables,
    StatementTables,
    StripeOpsTables,
    GivingTables,
    VariantTables,
    LanguageTables,
    SlotTables {}
