import { describe, expect, it } from 'vitest';
import { COMMANDS, commandNamed, registrarsFor } from './index.js';

describe('commandNamed', () => {
  it('finds the command after global flags, skipping the values of those that take one', () => {
    expect(commandNamed(['--endpoint-url', 'http://x', '--quiet', 'sync', 'a', 'b'])).toBe('sync');
    expect(commandNamed(['--config=s.yaml', 'plan'])).toBe('plan');
    expect(commandNamed(['--store', 'serve', 'ls'])).toBe('ls');
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed(['--', 'ls'])).toBeUndefined();
  });
});

describe('registrarsFor', () => {
  it('loads only the named command, none for --version, and all otherwise', async () => {
    expect(await registrarsFor(['serve', '--port', '9000'])).toHaveLength(1);
    expect(await registrarsFor(['--version'])).toHaveLength(0);
    expect(await registrarsFor(['--help'])).toHaveLength(COMMANDS.length);
    expect(await registrarsFor(['nosuchcommand'])).toHaveLength(COMMANDS.length);
  });
});
