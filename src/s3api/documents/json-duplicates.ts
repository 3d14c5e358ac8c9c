/**
 * Finds a member name given twice in one object of a JSON text. JSON.parse keeps the last
 * of them silently, so `{"Effect": "Deny", …, "Effect": "Allow"}` would read as a Deny
 * and act as an Allow; a policy is refused instead.
 */

/** One open object or array of the text, outermost first. */
interface Level {
  /** The names seen so far (an object), or undefined (an array). */
  names: Set<string> | undefined;
  /** An object expects a member name next (after `{` or `,`). */
  expectName: boolean;
}

/**
 * The first member name that an object of `json` (valid JSON, already parsed once) has
 * twice, decoded, or undefined when there is none.
 *
 * @example
 * duplicateMember('{"a": 1, "b": {"a": 2}}'); // undefined
 * duplicateMember('{"a": 1, "\\u0061": 2}');   // 'a'
 */
export function duplicateMember(json: string): string | undefined {
  const stack: Level[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      const end = stringEnd(json, i);
      if (top?.names && top.expectName) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.names.has(name)) return name;
        top.names.add(name);
        top.expectName = false;
      }
      i = end;
    } else if (c === '{') stack.push({ names: new Set(), expectName: true });
    else if (c === '[') stack.push({ names: undefined, expectName: false });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top?.names) top.expectName = true;
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(json: string, start: number): number {
  let i = start + 1;
  while (json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
  return i;
}
