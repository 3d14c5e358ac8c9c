/**
 * Text from a store (keys, prefixes) as the CLI prints it: as it is, or, when it holds a
 * control character (a newline, ESC), as a JSON string, so that a key can neither break a
 * line apart nor send escape sequences to the terminal.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * @example
 * printable('a.png'); // a.png
 * printable('evil\u001b[2Jkey'); // "evil\u001b[2Jkey"
 */
export function printable(text: string): string {
  return CONTROL.test(text) ? JSON.stringify(text) : text;
}

const CONTROLS = new RegExp(CONTROL.source, 'g');

/**
 * `text` with each control character written as its JSON escape: for a message that
 * quotes store text somewhere inside it, printed on one line.
 *
 * @example
 * escapeControls('cannot delete a\nb'); // cannot delete a\nb (a backslash and an n)
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => JSON.stringify(c).slice(1, -1));
}
