/**
 * The widget's CSS as strings, injected into its shadow root (no second request before first
 * paint, no stylesheet the host page can reach). Logical properties (inline-start/end), so Arabic
 * mirrors the layout with dir="rtl". Only px units: rem would follow the host
 * page's root font size. Theme through custom properties, which do cross the shadow boundary:
 *   --gs-accent  --gs-accent-text  --gs-bg  --gs-text  --gs-muted  --gs-track  --gs-font
 *   --gs-radius  --gs-height (top/inline banner height)  --gs-height-narrow (below 640 px)
 */

/** The button: the banner's call to action, and the form's. */
const btnCss = `
.gs-btn{display:inline-block;box-sizing:border-box;border:0;border-radius:var(--gs-radius,8px);padding:11px 18px;background:var(--gs-accent,#b3261e);color:var(--gs-accent-text,#fff);font:inherit;font-weight:700;font-size:16px;cursor:pointer;text-align:center;text-decoration:none}
.gs-btn:hover{filter:brightness(1.08)}
.gs-btn:focus-visible{outline:3px solid var(--gs-focus,#1a5fb4);outline-offset:2px}
.gs-btn[disabled]{opacity:.6;cursor:progress}
`;

/** The amount chooser: used in the banner's dialog and on the standalone donate page. */
const fieldsCss = `
.gs-form{display:grid;gap:14px;font:inherit;color:inherit}
.gs-form fieldset{border:0;margin:0;padding:0;min-width:0}
.gs-form legend,.gs-lbl{display:block;font-weight:600;font-size:14px;margin:0 0 6px;padding:0}
.gs-seg{display:flex;flex-wrap:wrap;gap:8px}
.gs-opt{position:relative;display:inline-flex}
.gs-opt input{position:absolute;opacity:0;inset:0;margin:0;cursor:pointer}
.gs-opt span{display:inline-block;min-width:64px;padding:9px 14px;border:2px solid var(--gs-line,#c9c3b4);border-radius:var(--gs-radius,8px);background:#fff;color:#1b1b1b;font-weight:600;text-align:center}
.gs-opt input:checked+span{border-color:var(--gs-accent,#b3261e);background:var(--gs-accent,#b3261e);color:var(--gs-accent-text,#fff)}
.gs-opt input:focus-visible+span{outline:3px solid var(--gs-focus,#1a5fb4);outline-offset:2px}
.gs-in{box-sizing:border-box;width:100%;padding:9px 10px;border:2px solid var(--gs-line,#c9c3b4);border-radius:var(--gs-radius,8px);background:#fff;color:#1b1b1b;font:inherit}
.gs-in:focus{outline:3px solid var(--gs-focus,#1a5fb4);outline-offset:1px}
.gs-in[aria-invalid=true]{border-color:#b00020}
.gs-row{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.gs-chk{display:flex;gap:8px;align-items:flex-start;font-size:14px;line-height:1.4}
.gs-chk input{margin:2px 0 0;width:18px;height:18px;flex:none;accent-color:var(--gs-accent,#b3261e)}
.gs-hint{font-size:13px;color:var(--gs-muted,#555);margin:4px 0 0}
.gs-err{font-size:14px;color:#b00020;margin:4px 0 0;font-weight:600}
.gs-alert{padding:10px 12px;border-radius:var(--gs-radius,8px);background:#fdecea;color:#8a1111;font-size:14px;font-weight:600}
.gs-alert:empty{display:none}
`;
const fieldsEndCss = `
.gs-btn2{background:transparent;color:inherit;border:2px solid var(--gs-line,#c9c3b4)}
.gs-total{font-size:14px;margin:0}
.gs-down{padding:10px 12px;border-radius:var(--gs-radius,8px);background:#fff4d6;color:#5c3b00;font-size:14px;margin:0 0 12px}
.gs-ok{padding:10px 12px;border-radius:var(--gs-radius,8px);background:#e7f5ec;color:#0b4f2f;font-size:15px}
.gs-ways{margin:16px 0 0;font-size:14px}
.gs-ways h3{font-size:15px;margin:0 0 4px}
.gs-ways p{white-space:pre-line;margin:0}
@media (max-width:480px){.gs-row{grid-template-columns:1fr}}
`;
export const formCss = fieldsCss + btnCss + fieldsEndCss;

/** The goal meter (banner and pages). The fill slides; prefers-reduced-motion stops it. */
export const meterCss = `
.track{height:12px;border-radius:6px;background:var(--gs-track,#e6dcc0);overflow:hidden}
.fill{height:100%;width:100%;background:var(--gs-accent,#b3261e);transform-origin:0 50%;transition:transform .9s cubic-bezier(.2,.8,.2,1)}
[dir=rtl] .fill{transform-origin:100% 50%}
.fig{margin:6px 0 0;font-size:14px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.fig strong{font-weight:800}
.bump .fig strong{animation:gs-bump 1s ease}
@keyframes gs-bump{0%{color:var(--gs-accent,#b3261e)}100%{color:inherit}}
@media (prefers-reduced-motion:reduce){.fill{transition:none}.bump .fig strong{animation:none}}
`;

/**
 * The banner bar, inside the shadow root: all that the first paint needs (embed.js). The dialog's
 * rules (dialogCss) come with the dialog, which adopts them when it opens (Dialog.tsx).
 */
export const barCss = `
:host{all:initial!important;display:block!important;container-type:inline-size!important;position:relative!important}
:host([data-placement=bottom]){position:fixed!important;left:0!important;right:0!important;bottom:0!important;z-index:2147483000!important}
*,*::before,*::after{box-sizing:border-box}
.gs-root{all:initial;display:block;font:15px/1.35 var(--gs-font,system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif);color:var(--gs-text,#121212)}
.gs{position:relative;display:grid;grid-template-columns:minmax(0,1.25fr) minmax(0,1fr) auto;grid-template-rows:auto auto;grid-template-areas:"copy meter cta" "copy stats cta";align-content:center;align-items:center;gap:4px 24px;height:var(--gs-height,120px);overflow:hidden;padding-block:10px;padding-inline:20px 52px;background:var(--gs-bg,#fff4d6);color:var(--gs-text,#121212);border-bottom:4px solid var(--gs-accent,#b3261e)}
:host([data-placement=bottom]) .gs{border-bottom:0;border-top:4px solid var(--gs-accent,#b3261e);box-shadow:0 -4px 16px rgba(0,0,0,.18)}
:host([data-placement=inline]) .gs{border:1px solid var(--gs-line,#e2d6b5);border-inline-start:4px solid var(--gs-accent,#b3261e);border-radius:var(--gs-radius,8px);height:auto;min-height:var(--gs-height,120px)}
.copy{grid-area:copy;min-width:0}
.tm{position:absolute;top:0;inset-inline-start:20px;margin:0;padding:1px 8px;border-radius:0 0 4px 4px;background:#ffd43b;color:#1a1a1a;font-size:11px;font-weight:800;letter-spacing:.06em;line-height:16px}
.hl{margin:0;font-size:19px;line-height:1.25;font-weight:800;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.msg{margin:4px 0 0;font-size:14px;line-height:1.35;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.mcol{grid-area:meter;min-width:0;align-self:end}
.sts{grid-area:stats;min-width:0;align-self:start}
${meterCss}
.stats{margin:0;font-size:13px;color:var(--gs-muted,#4a4a4a);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.cta{grid-area:cta}
.x{position:absolute;top:6px;inset-inline-end:6px;width:36px;height:36px;border:0;border-radius:50%;background:transparent;color:inherit;font:24px/1 system-ui,sans-serif;cursor:pointer;padding:0}
.x:hover{background:rgba(0,0,0,.08)}
.x:focus-visible{outline:3px solid var(--gs-focus,#1a5fb4)}
.sk{background:rgba(0,0,0,.08);border-radius:4px;height:14px;margin:6px 0}
@container (max-width:640px){
.gs{grid-template-columns:minmax(0,1fr) auto;grid-template-areas:"copy copy" "meter meter" "stats cta";gap:6px 12px;height:var(--gs-height-narrow,172px);padding:10px 14px}
.hl{font-size:17px;padding-inline-end:30px}
.msg{font-size:13px}
.cta{align-self:center}
}
${btnCss}`;

/** The banner's donate dialog (and its form), in the banner's shadow root. */
export const dialogCss = `
dialog{box-sizing:border-box;border:0;margin:auto;width:min(520px,calc(100vw - 24px));max-height:calc(100dvh - 24px);overflow:auto;padding:22px;border-radius:12px;background:#fff;color:#121212;font:15px/1.4 var(--gs-font,system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif);box-shadow:0 10px 40px rgba(0,0,0,.35)}
dialog:not([open]){display:none}
dialog::backdrop{background:rgba(0,0,0,.55)}
.dh{display:flex;justify-content:space-between;align-items:flex-start;gap:12px;margin:0 0 12px}
.dh h2{margin:0;font-size:20px;line-height:1.25}
.dh .x{position:static;flex:none}
${fieldsCss}${fieldsEndCss}`;

/** The banner and its dialog, for a shadow root of one's own. */
export const bannerCss = barCss + dialogCss;

const sheets = new Map<string, CSSStyleSheet>();

/**
 * Puts CSS into a shadow root as a constructable stylesheet (adoptedStyleSheets): a host page
 * whose Content-Security-Policy has no 'unsafe-inline' in style-src blocks a <style> element
 * but not a stylesheet built through the CSSOM. One sheet per CSS text is shared by every
 * banner of the page. Browsers without constructable stylesheets (Safari before 16.4) get a
 * <style> element, which works on every page without a strict CSP.
 */
export function adoptStyles(root: ShadowRoot, css: string): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
    let sheet = sheets.get(css);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      sheets.set(css, sheet);
    }
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  if ([...root.querySelectorAll('style')].some((s) => s.textContent === css)) return;
  const style = document.createElement('style');
  style.textContent = css;
  // After the sheets already there (the dialog's after the bar's), as adoptedStyleSheets does.
  const last = root.querySelector('style:last-of-type');
  if (last) last.after(style);
  else root.prepend(style);
}
