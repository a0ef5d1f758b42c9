import type { MailCatalog } from './en.js';

/** Donor-facing mails in German (keys: en.ts). */
export const de: MailCatalog = {
  'greeting.named': 'Liebe/r {name},',
  'greeting.anon': 'Guten Tag,',
  'button.copy': 'Oder kopieren Sie diese Adresse in Ihren Browser:',
  monthly: '{amount} im Monat',
  'list.separator': ', ',

  'receipt.subject': 'Ihre Spendenquittung von {org}: {amount}',
  'receipt.copy.subject': 'Kopie Ihrer Quittung {number} von {org}',
  'receipt.intro': 'Vielen Dank für Ihre Spende an {org}. Dies ist Ihre Quittung.',
  'receipt.copy.intro': 'Dies ist eine Kopie der Quittung {number} für Ihre Spende an {org}, auf Ihren Wunsch erneut gesendet.',
  'receipt.corrected': 'Seit der Ausstellung wurde diese Quittung berichtigt: {changes}. Ihre Spende beträgt jetzt {amount}.',
  'receipt.corrected.voided': 'die Spende wurde storniert',
  'receipt.corrected.refunded': '{amount} erstattet',
  'receipt.corrected.lost': '{amount} nach einer Zahlungsanfechtung zurückgebucht',
  'receipt.amount': '{amount} ({currency})',
  'receipt.amount.fees': '{amount} ({currency}), davon {fees}, die Sie zur Deckung der Gebühren hinzugefügt haben',
  'receipt.keep': 'Bitte bewahren Sie diese Quittung für Ihre Unterlagen auf.',
  'receipt.manage.text':
    'Um den Betrag zu ändern, Ihre Karte zu aktualisieren oder Ihre monatliche Spende zu beenden, öffnen Sie diese Seite:',
  'receipt.manage.html': 'Sie können den Betrag jederzeit ändern, Ihre Karte aktualisieren oder Ihre monatliche Spende beenden.',
  'receipt.footer': 'Bitte bewahren Sie diese E-Mail für Ihre Unterlagen auf. Quittung {number} von {org}.',
  'row.number': 'Quittungsnummer',
  'row.datePaid': 'Zahlungsdatum',
  'row.amount': 'Betrag',
  'row.campaign': 'Kampagne',
  'row.gift': 'Spende',
  'row.dedication': 'Widmung',
  'row.receivedBy': 'Empfangen von',
  'row.ein': 'EIN',
  'row.sponsor': 'Steuerlicher Träger',
  'row.sponsor.id': '{name} (EIN {id})',
  'row.taxId': 'Steuernummer',
  'row.corrects': 'Berichtigt Quittungsnummer',
  'row.charged': 'Belasteter Betrag',
  'row.refunded': 'Erstattet',
  'row.lost': 'Nach Anfechtung zurückgebucht',
  'row.status': 'Status',
  'row.giftNow': 'Ihre Spende jetzt',
  'row.noticeDate': 'Datum dieser Mitteilung',
  'gift.offline': 'Offline erhalten (Scheck, bar oder Überweisung)',
  'gift.monthly': 'Monatlich',
  'gift.once': 'Einmalig',
  'dedication.memory': 'In Erinnerung an {name}',
  'dedication.honor': 'Zu Ehren von {name}',
  'status.voided': 'Storniert',

  'correction.subject': 'Berichtigte Quittung {number} von {org}: Ihre Spende beträgt jetzt {amount}',
  'correction.intro': 'Diese Mitteilung berichtigt die Quittung {number} für Ihre Spende an {org}.',
  'correction.voided': 'Diese Spende wurde storniert: Quittung {number} gilt nicht mehr.',
  'correction.restored': 'Diese Spende wurde wiederhergestellt: Quittung {number} gilt wieder.',
  'correction.amount': 'Der erhaltene Betrag wurde von {from} auf {to} berichtigt.',
  'correction.refunded': '{amount} dieser Spende wurden Ihnen erstattet.',
  'correction.refundFailed':
    'Eine Erstattung von {amount} ist nicht erfolgt (fehlgeschlagen oder abgebrochen): dieses Geld bleibt Ihre Spende.',
  'correction.lost': '{amount} wurden Ihnen nach einer Zahlungsanfechtung über Ihre Bank zurückgebucht.',
  'correction.won': 'Eine Zahlungsanfechtung wurde zugunsten von {org} entschieden: {amount} zählen wieder als Ihre Spende.',
  'correction.after':
    'Für Ihre Unterlagen: Diese Spende beträgt jetzt {amount}. Diese Mitteilung ersetzt die Beträge der Quittung {number}.',
  'correction.footer': 'Bitte bewahren Sie diese Mitteilung mit der Quittung {number} von {org} auf.',

  'manage.button': 'Meine monatliche Spende verwalten',
  'manageLink.subject': 'Ihr Link zur Verwaltung Ihrer monatlichen Spende an {org}',
  'manageLink.intro':
    'Sie haben einen Link zur Verwaltung Ihrer monatlichen Spende an {org} angefordert. Auf der Seite sehen Sie Ihre nächste Zahlung und können den Betrag ändern, Ihre Karte aktualisieren oder die Spende beenden.',
  'manageLink.one': 'Ihre Spende: {monthly} für {campaign}.',
  'manageLink.one.footer': {
    one: 'Der Link gilt {count} Tag und nur für diese Spende. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail: Es ändert sich nichts, solange Sie auf der Seite keine Schaltfläche drücken.',
    other:
      'Der Link gilt {count} Tage und nur für diese Spende. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail: Es ändert sich nichts, solange Sie auf der Seite keine Schaltfläche drücken.',
  },
  'manageLink.several': 'Sie haben mehrere monatliche Spenden; jede hat ihren eigenen Link:',
  'manageLink.item': '{monthly} für {campaign}',
  'manageLink.item.button': 'Diese Spende verwalten',
  'manageLink.several.footer': {
    one: 'Jeder Link gilt {count} Tag. Wenn Sie diese nicht angefordert haben, ignorieren Sie diese E-Mail: Es ändert sich nichts, solange Sie keine Schaltfläche drücken.',
    other:
      'Jeder Link gilt {count} Tage. Wenn Sie diese nicht angefordert haben, ignorieren Sie diese E-Mail: Es ändert sich nichts, solange Sie keine Schaltfläche drücken.',
  },
  'canceled.subject': 'Ihre monatliche Spende an {org} ist beendet',
  'canceled.failed':
    'Ihre monatliche Spende von {monthly} für {campaign} ist beendet, weil wir Ihre Karte nach mehreren Versuchen nicht belasten konnten.',
  'canceled.requested':
    'Ihre monatliche Spende von {monthly} für {campaign} ist wie gewünscht beendet. Es werden keine weiteren Zahlungen eingezogen.',
  'canceled.thanks': 'Vielen Dank für alles, was Sie {org} gegeben haben. Ihre Quittungen bleiben gültig.',
  'canceled.footer': 'Sie erhalten diese E-Mail, weil mit dieser Adresse eine monatliche Spende an {org} eingerichtet wurde.',
  'canceled.restart': 'Wenn Sie weiter spenden möchten, können Sie jederzeit auf unserer Website eine neue Spende beginnen.',
  'card.button': 'Meine Karte aktualisieren',
  'gift.footer': {
    one: 'Sie erhalten diese E-Mail wegen Ihrer monatlichen Spende an {org}. Der Link gilt {count} Tag und nur für diese Spende.',
    other: 'Sie erhalten diese E-Mail wegen Ihrer monatlichen Spende an {org}. Der Link gilt {count} Tage und nur für diese Spende.',
  },
  'failed.subject': 'Ihre monatliche Spende an {org} konnte nicht eingezogen werden',
  'failed.body':
    'Die Zahlung von {amount} in diesem Monat für Ihre monatliche Spende an {campaign} ist nicht erfolgt. Das passiert oft, wenn eine Karte abgelaufen ist oder ersetzt wurde.',
  'failed.update': 'Sie können Ihre Karte auf der folgenden Seite aktualisieren; wir versuchen die Zahlung erneut.',
  'expiring.subject': 'Die Karte Ihrer monatlichen Spende an {org} läuft bald ab',
  'expiring.card': 'Ihre {brand}-Karte mit der Endung {last4}',
  'expiring.card.unknown': 'Die Karte Ihrer monatlichen Spende',
  'expiring.body':
    '{card} läuft Ende {month}/{year} ab. Ihre monatliche Spende von {monthly} für {campaign} braucht eine gültige Karte, um weiterzulaufen.',
  'expiring.update': 'Sie können Ihre Karte auf der folgenden Seite aktualisieren.',

  'pledge.subject': 'Online-Spenden sind wieder möglich: Lösen Sie Ihre Zusage von {gift} an {org} ein',
  'pledge.body': 'Als Online-Zahlungen nicht möglich waren, haben Sie {gift} für {campaign} zugesagt. Sie funktionieren wieder.',
  'pledge.open': 'Um Ihre Spende abzuschließen, öffnen Sie diese Seite und drücken Sie die Schaltfläche zur Zahlung:',
  'pledge.button': 'Meine Spende abschließen',
  'pledge.only': 'Dies ist die einzige E-Mail zu dieser Zusage. Wenn Sie nichts tun, löschen wir sie und Ihre Adresse am {date}.',
  'pledge.deleteNow': 'Jetzt löschen: {url}',
  'pledge.footer': 'Sie haben uns diese Adresse nur für diese eine E-Mail gegeben.',
  'pledge.deleteLink': 'Meine Zusage jetzt löschen',

  'statement.subject': 'Ihre Spendenbescheinigung {year} von {org}',
  'statement.intro':
    'Vielen Dank, dass Sie {org} im Jahr {year} unterstützt haben. Ihre jährliche Übersicht führt jede Spende dieses Jahres auf, abzüglich Erstattungen:',
  'statement.total': { one: '{amount} ({currency}, {count} Zahlung)', other: '{amount} ({currency}, {count} Zahlungen)' },
  'statement.download': 'Laden Sie die Übersicht herunter (PDF):',
  'statement.button': 'Meine Übersicht {year} herunterladen (PDF)',
  'statement.keep': {
    one: 'Der Link gilt {count} Tag. Bitte bewahren Sie die Übersicht bei Ihren Unterlagen auf.',
    other: 'Der Link gilt {count} Tage. Bitte bewahren Sie die Übersicht bei Ihren Unterlagen auf.',
  },
  'statement.footer': 'Sie erhalten diese E-Mail einmal im Jahr, weil Sie mit dieser Adresse an {org} gespendet haben.',
};
