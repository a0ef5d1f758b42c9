/**
 * SPEC §2: while money is not live (the emulator, or an sk_test_/rk_test_ key) every page a person
 * sees says TEST MODE. Our served HTML pages (demo, donate, thanks, admin) get this note as the
 * first thing in <body>, before any script runs; the widget learns it from the campaign JSON
 * (`testMode: true`), since it lives on other sites' pages.
 */
export const TEST_MODE_NOTE =
  '<p class="gs-test-mode" role="note"><strong>TEST MODE</strong> · payments are simulated: no real money moves and no card is charged.</p>';

export function withTestModeNote(html: string): string {
  return html.replace(/<body\b[^>]*>/i, (body) => `${body}${TEST_MODE_NOTE}`);
}
