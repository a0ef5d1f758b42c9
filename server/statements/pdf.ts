import PDFDocument from 'pdfkit';
import { formatMoney } from '../../common/money.js';
import type { Statement } from './service.js';

/**
 * pdfkit's built-in fonts (Helvetica) need no font file on the server, but they only carry the
 * WinAnsi set (Latin-1 plus € ‘ ’ “ ” – — … and a few more): other characters (a name in Arabic or
 * Chinese) would print as garbage, so they are shown as "?" instead. Embedding a Unicode TTF
 * would lift this (a font file to ship).
 */
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
const printable = (s: string) =>
  s.normalize('NFC').replace(/[^\u0020-\u007e\u00a0-\u00ff\n]/g, (ch) => (WIN_ANSI_EXTRA.includes(ch) ? ch : '?'));

const money = (amount: number, currency: string) => formatMoney(amount, currency, { locale: 'en-US', exact: true });

const KIND: Record<Statement['lines'][number]['kind'], string> = {
  one_time: 'One-time',
  first: 'Monthly',
  renewal: 'Monthly',
  offline: 'Offline',
};

/** The statement as a PDF (A4, one table, totals per currency), as bytes. */
export async function renderStatementPdf(s: Statement, opts: { generatedAt: Date }): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Annual giving statement ${s.year}`, Author: printable(s.organisation.name), CreationDate: opts.generatedAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const day = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: s.timeZone });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  doc.font('Helvetica-Bold').fontSize(16).text(printable(s.organisation.name));
  doc.font('Helvetica').fontSize(10);
  if (s.organisation.address) doc.text(printable(s.organisation.address));
  if (s.organisation.taxId) doc.text(`Tax id: ${printable(s.organisation.taxId)}`);
  doc.moveDown(1.5);
  doc.font('Helvetica-Bold').fontSize(14).text(`Annual giving statement ${s.year}`);
  doc.font('Helvetica').fontSize(10);
  doc.text(`Donor: ${printable(s.email)}`);
  doc.text(`Period: 1 January ${s.year} to 31 December ${s.year} (dates in ${s.timeZone})`);
  doc.moveDown();

  // Date | Receipt | Campaign | Gift | Amount | Refunded | Net
  const cols = [
    { title: 'Date', w: 0.14, align: 'left' as const },
    { title: 'Receipt', w: 0.09, align: 'left' as const },
    { title: 'Campaign', w: 0.27, align: 'left' as const },
    { title: 'Gift', w: 0.1, align: 'left' as const },
    { title: 'Amount', w: 0.14, align: 'right' as const },
    { title: 'Refunded', w: 0.12, align: 'right' as const },
    { title: 'Net', w: 0.14, align: 'right' as const },
  ];
  const row = (cells: string[], bold = false) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 40) doc.addPage();
    const y = doc.y;
    let x = left;
    let height = 0;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    cells.forEach((cell, i) => {
      const c = cols[i]!;
      const w = c.w * width - 4;
      doc.text(printable(cell), x, y, { width: w, align: c.align });
      height = Math.max(height, doc.heightOfString(printable(cell), { width: w }));
      x += c.w * width;
    });
    doc.x = left;
    doc.y = y + height + 4;
  };
  row(
    cols.map((c) => c.title),
    true,
  );
  doc
    .moveTo(left, doc.y - 2)
    .lineTo(left + width, doc.y - 2)
    .stroke();
  if (s.lines.length === 0) row(['', '', 'No gifts in this year.', '', '', '', '']);
  for (const l of s.lines) {
    row([
      day.format(l.paidAt),
      l.receiptNumber === null ? '' : String(l.receiptNumber),
      l.campaign,
      KIND[l.kind],
      money(l.amount, l.currency),
      l.returned ? money(l.returned, l.currency) : '',
      money(l.net, l.currency),
    ]);
  }
  doc.moveDown();
  doc.font('Helvetica-Bold').fontSize(11).text(`Total given in ${s.year}`, left);
  doc.font('Helvetica').fontSize(10);
  for (const t of s.totals) {
    doc.text(
      printable(
        `${t.currency}: ${money(t.net, t.currency)} (${t.payments} payment${t.payments === 1 ? '' : 's'}, ${money(t.amount, t.currency)} charged${t.returned ? `, ${money(t.returned, t.currency)} refunded` : ''})`,
      ),
    );
  }
  doc.moveDown(1.5);
  doc
    .fontSize(8)
    .fillColor('#555555')
    .text(
      'Amounts are what was charged, including any amount added to help cover fees, net of refunds and of disputes the bank decided for the card holder. Totals in different currencies are not added together. Please keep this statement with your records.',
      { width },
    );
  doc.end();
  return done;
}
