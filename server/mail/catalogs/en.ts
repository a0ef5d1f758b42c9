import type { Message } from '../../../common/i18n.js';

/**
 * Donor-facing mails in English: the reference catalog. Every other language has every key
 * (types and tests/unit/mail/catalogs.test.ts); {name} placeholders are filled by the templates;
 * a message with plural forms is picked by {count} (Intl.PluralRules of the language).
 */
export const en = {
  'greeting.named': 'Dear {name},',
  'greeting.anon': 'Hello,',
  'button.copy': 'Or copy this address into your browser:',
  monthly: '{amount} a month',
  'list.separator': ', ',

  'receipt.subject': 'Your receipt from {org}: {amount}',
  'receipt.copy.subject': 'Copy of your receipt {number} from {org}',
  'receipt.intro': 'Thank you for your gift to {org}. This is your receipt.',
  'receipt.copy.intro': 'This is a copy of receipt {number} for your gift to {org}, sent again at your request.',
  'receipt.corrected': 'Since this receipt was issued it was corrected: {changes}. The amount of your gift is now {amount}.',
  'receipt.corrected.voided': 'the gift was voided',
  'receipt.corrected.refunded': '{amount} refunded',
  'receipt.corrected.lost': '{amount} returned after a payment dispute',
  'receipt.amount': '{amount} ({currency})',
  'receipt.amount.fees': '{amount} ({currency}) including {fees} you added to help cover processing fees',
  'receipt.keep': 'Please keep this receipt for your records.',
  'receipt.manage.text': 'To change the amount, update your card or cancel your monthly gift, open this page:',
  'receipt.manage.html': 'You can change the amount, update your card or cancel your monthly gift at any time.',
  'receipt.footer': 'Please keep this e-mail for your records. Receipt {number} of {org}.',
  'row.number': 'Receipt number',
  'row.datePaid': 'Date paid',
  'row.amount': 'Amount',
  'row.campaign': 'Campaign',
  'row.gift': 'Gift',
  'row.dedication': 'Dedication',
  'row.receivedBy': 'Received by',
  'row.ein': 'EIN',
  'row.sponsor': 'Fiscal sponsor',
  'row.sponsor.id': '{name} (EIN {id})',
  'row.taxId': 'Tax id',
  'row.corrects': 'Corrects receipt number',
  'row.charged': 'Amount charged',
  'row.refunded': 'Refunded',
  'row.lost': 'Returned after a dispute',
  'row.status': 'Status',
  'row.giftNow': 'Your gift now',
  'row.noticeDate': 'Date of this notice',
  'gift.offline': 'Received offline (cheque, cash or transfer)',
  'gift.monthly': 'Monthly',
  'gift.once': 'One-time',
  'dedication.memory': 'In memory of {name}',
  'dedication.honor': 'In honor of {name}',
  'status.voided': 'Voided',

  'correction.subject': 'Corrected receipt {number} from {org}: your gift is now {amount}',
  'correction.intro': 'This notice corrects receipt {number} for your gift to {org}.',
  'correction.voided': 'This gift was voided: receipt {number} no longer stands.',
  'correction.restored': 'This gift was restored: receipt {number} stands again.',
  'correction.amount': 'The amount received was corrected from {from} to {to}.',
  'correction.refunded': '{amount} of this gift was refunded to you.',
  'correction.refundFailed': 'A refund of {amount} did not go through (it failed or was canceled): that money remains your gift.',
  'correction.lost': '{amount} was returned to you through your bank after a payment dispute.',
  'correction.won': 'A payment dispute was reversed in favour of {org}: {amount} counts as your gift again.',
  'correction.after': 'For your records, the amount of this gift is now {amount}. This notice replaces the figures of receipt {number}.',
  'correction.footer': 'Please keep this notice with receipt {number} of {org}.',

  'manage.button': 'Manage my monthly gift',
  'manageLink.subject': 'Your link to manage your monthly gift to {org}',
  'manageLink.intro':
    'You asked for a link to manage your monthly gift to {org}. On the page it opens you can see your next payment, change the amount, update your card or cancel.',
  'manageLink.one': 'Your gift: {monthly} to {campaign}.',
  'manageLink.one.footer': {
    one: 'The link works for {count} day and only for this gift. If you did not ask for it, you can ignore this e-mail: nothing changes unless you press a button on that page.',
    other:
      'The link works for {count} days and only for this gift. If you did not ask for it, you can ignore this e-mail: nothing changes unless you press a button on that page.',
  },
  'manageLink.several': 'You have several monthly gifts; each has its own link:',
  'manageLink.item': '{monthly} to {campaign}',
  'manageLink.item.button': 'Manage this gift',
  'manageLink.several.footer': {
    one: 'Each link works for {count} day. If you did not ask for these, ignore this e-mail: nothing changes unless you press a button.',
    other: 'Each link works for {count} days. If you did not ask for these, ignore this e-mail: nothing changes unless you press a button.',
  },
  'canceled.subject': 'Your monthly gift to {org} is canceled',
  'canceled.failed': 'Your monthly gift of {monthly} to {campaign} has ended because we could not charge your card after several attempts.',
  'canceled.requested': 'Your monthly gift of {monthly} to {campaign} is canceled, as asked. No further payments will be taken.',
  'canceled.thanks': 'Thank you for everything you have given to {org}. Your receipts stay valid for your records.',
  'canceled.footer': 'You received this e-mail because a monthly gift to {org} was made with this address.',
  'canceled.restart': 'If you would like to keep giving, you are welcome to start a new gift on our site at any time.',
  'card.button': 'Update my card',
  'gift.footer': {
    one: 'You received this e-mail because of your monthly gift to {org}. The link works for {count} day and only for this gift.',
    other: 'You received this e-mail because of your monthly gift to {org}. The link works for {count} days and only for this gift.',
  },
  'failed.subject': 'We could not charge your monthly gift to {org}',
  'failed.body':
    "This month's payment of {amount} for your monthly gift to {campaign} did not go through. This often happens when a card has expired or was replaced.",
  'failed.update': 'You can update your card on the page below; we will try the payment again.',
  'expiring.subject': 'Your card for your monthly gift to {org} expires soon',
  'expiring.card': 'Your {brand} card ending in {last4}',
  'expiring.card.unknown': 'The card of your monthly gift',
  'expiring.body':
    '{card} expires at the end of {month}/{year}. Your monthly gift of {monthly} to {campaign} will need a valid card to continue.',
  'expiring.update': 'You can update your card on the page below.',

  'pledge.subject': 'Online giving is back: complete your pledge of {gift} to {org}',
  'pledge.body': 'When online payments were down, you pledged {gift} to {campaign}. They are working again.',
  'pledge.open': 'To complete your gift, open this page and press "Continue to payment":',
  'pledge.button': 'Complete my gift',
  'pledge.only': 'This is the only e-mail we send about this pledge. If you do nothing, we delete it and your address on {date}.',
  'pledge.deleteNow': 'To delete it now: {url}',
  'pledge.footer': 'You gave us this address for this one e-mail.',
  'pledge.deleteLink': 'Delete my pledge now',

  'statement.subject': 'Your {year} giving statement from {org}',
  'statement.intro':
    'Thank you for supporting {org} in {year}. Your annual giving statement lists every gift you made that year, net of refunds:',
  'statement.total': { one: '{amount} ({currency}, {count} payment)', other: '{amount} ({currency}, {count} payments)' },
  'statement.download': 'Download the statement (PDF):',
  'statement.button': 'Download my {year} statement (PDF)',
  'statement.keep': {
    one: 'The link works for {count} day. Please keep the statement with your records.',
    other: 'The link works for {count} days. Please keep the statement with your records.',
  },
  'statement.footer': 'You receive this once a year because you gave to {org} with this address.',
} satisfies Record<string, Message>;

export type MailKey = keyof typeof en;
export type MailCatalog = Record<MailKey, Message>;
