import { Fragment, type ReactNode } from 'react';

/**
 * A translated sentence with elements in it ("{total} raised of …", "… or {link}."): the
 * translator leaves the placeholders it was not given, and they become the given elements, so
 * each language orders the sentence its own way.
 */
export function rich(text: string, parts: Record<string, ReactNode>): ReactNode {
  return text.split(/(\{\w+\})/).map((s, i) => {
    const name = /^\{(\w+)\}$/.exec(s)?.[1];
    // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one sentence never move
    return <Fragment key={i}>{name && name in parts ? parts[name] : s}</Fragment>;
  });
}
