import { type ReactNode, type RefObject, useEffect, useId, useRef } from 'react';
import { adoptStyles, dialogCss } from './styles.js';

const FOCUSABLE =
  'a[href],button:not([disabled]),input:not([disabled]),select:not([disabled]),textarea:not([disabled]),[tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => {
    if (el instanceof HTMLInputElement && el.type === 'radio' && !el.checked) {
      // a radio group is one tab stop: its checked member
      const group = root.querySelectorAll<HTMLInputElement>(`input[type=radio][name="${CSS.escape(el.name)}"]`);
      return ![...group].some((r) => r.checked) && group[0] === el;
    }
    return el.getClientRects().length > 0;
  });
}

/** The focused element, looking inside shadow roots (document.activeElement stops at the host). */
function activeIn(root: Document | ShadowRoot): Element | null {
  return root.activeElement;
}

/**
 * A modal dialog on the native <dialog> (top layer: the banner's fixed height and the host page's
 * stacking contexts cannot clip it; the rest of the page is inert). On top of what the browser
 * does: Tab wraps inside the dialog instead of leaving for the browser's toolbar, Escape goes
 * through our state, and focus returns to the button that opened it.
 */
export function Dialog({
  open,
  onClose,
  title,
  closeLabel = 'Close',
  returnFocus,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  closeLabel?: string;
  returnFocus?: RefObject<HTMLElement | null>;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;
  const closingByUs = useRef(false);
  const ret = useRef(returnFocus);
  ret.current = returnFocus;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      // The dialog's CSS comes with it (embed-donate.js), not with the banner's first paint: into
      // the banner's shadow root before the dialog shows, so it never shows unstyled.
      const root = d.getRootNode();
      if (root instanceof ShadowRoot) adoptStyles(root, dialogCss);
      try {
        d.showModal();
      } catch {
        d.setAttribute('open', '');
      }
      const first = d.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(d)[0];
      first?.focus();
    } else if (!open && d.open) {
      // The 'close' event comes a task later, possibly after the dialog was opened again:
      // it must not be taken for a close we did not start.
      closingByUs.current = true;
      d.close();
      ret.current?.current?.focus();
    }
  }, [open]);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const onCancel = (e: Event) => {
      // Escape: keep the element and our state in step, then restore focus ourselves.
      e.preventDefault();
      close.current();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        close.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = focusables(d);
      if (!items.length) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      const active = activeIn(d.getRootNode() as Document | ShadowRoot);
      if (e.shiftKey && (active === first || !d.contains(active))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !d.contains(active))) {
        e.preventDefault();
        first.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      // a click on the backdrop lands on the dialog element itself, outside its box
      if (e.target !== d) return;
      const r = d.getBoundingClientRect();
      if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) close.current();
    };
    // A close we did not start (the browser's own close watcher, a form method=dialog): the
    // state follows and focus goes back to the button that opened it.
    const onClosed = () => {
      if (closingByUs.current) {
        closingByUs.current = false;
        return;
      }
      close.current();
      ret.current?.current?.focus();
    };
    d.addEventListener('close', onClosed);
    d.addEventListener('cancel', onCancel);
    d.addEventListener('keydown', onKey);
    d.addEventListener('click', onClick);
    return () => {
      d.removeEventListener('close', onClosed);
      d.removeEventListener('cancel', onCancel);
      d.removeEventListener('keydown', onKey);
      d.removeEventListener('click', onClick);
    };
  }, []);

  return (
    <dialog ref={ref} aria-labelledby={titleId} aria-modal="true">
      <div className="dh">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="x" aria-label={closeLabel} onClick={() => close.current()}>
          ×
        </button>
      </div>
      {open ? children : null}
    </dialog>
  );
}
