import { describe, expect, it } from 'vitest';

import { safeNext } from './pages/LoginPage';
import { parseTechStack } from './pages/PostingFormPage';
import { matchPath } from './router';

describe('small helpers the pages rely on', () => {
  it('matches route patterns and decodes parameters', () => {
    expect(matchPath('/sessions/:id', '/sessions/3f2a')).toEqual({ id: '3f2a' });
    expect(matchPath('/postings/:id/edit', '/postings/a%20b/edit')).toEqual({ id: 'a b' });
    expect(matchPath('/sessions/:id', '/sessions')).toBeNull();
    expect(matchPath('/postings/new', '/postings/x')).toBeNull();
  });

  it('returns after login only to a path on this site', () => {
    expect(safeNext('/sessions/1?x=2')).toBe('/sessions/1?x=2');
    expect(safeNext('//evil.example/')).toBe('/dashboard');
    expect(safeNext('https://evil.example/')).toBe('/dashboard');
    expect(safeNext(null)).toBe('/dashboard');
  });

  it('turns the comma-separated tech stack into the list the API takes', () => {
    expect(parseTechStack(' Python, Django ,, PostgreSQL ,')).toEqual(['Python', 'Django', 'PostgreSQL']);
    expect(parseTechStack('')).toEqual([]);
  });
});
