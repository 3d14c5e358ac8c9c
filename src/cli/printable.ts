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
