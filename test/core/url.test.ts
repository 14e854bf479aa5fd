import { describe, expect, it } from 'vitest';
import { userInfoSecrets, withoutUserInfo } from '../../src/core/url.js';

describe('withoutUserInfo', () => {
  it.each([
    ['https://bob:hunter2@coder.example.com', 'https://coder.example.com'],
    ['http://user:tok%40en@127.0.0.1:7080/base/', 'http://127.0.0.1:7080/base'],
    ['http://only-a-token-as-user@[::1]:80/x', 'http://[::1]/x'],
    ['https://coder.example.com/', 'https://coder.example.com'],
    ['embedded', 'embedded'],
  ])('%s → %s', (input, expected) => {
    expect(withoutUserInfo(input)).toBe(expected);
  });

  it('strips what looks like userinfo from text that is not a URL (a mistyped --target)', () => {
    expect(withoutUserInfo('http//bob:hunter2@coder.example.com/x')).toBe('http//coder.example.com/x');
    expect(withoutUserInfo('h ttp://bob:p@ss@host:1/')).toBe('h ttp://host:1/');
  });
});

describe('userInfoSecrets', () => {
  it('gives the user name and password, as written and decoded', () => {
    expect(userInfoSecrets('http://tok%2Fen-user:p%40ss-word@127.0.0.1:1')).toEqual(['tok%2Fen-user', 'tok/en-user', 'p%40ss-word', 'p@ss-word']);
  });

  it('is empty without userinfo, for non-URLs and for no URL', () => {
    expect(userInfoSecrets('https://coder.example.com')).toEqual([]);
    expect(userInfoSecrets('embedded')).toEqual([]);
    expect(userInfoSecrets(undefined)).toEqual([]);
  });
});
