/**
 * The escaping and the door of the web view in-process (docs/UI.md § 3), beside the browser
 * test (test/ui/ui.test.ts): every value the `html` tag is given becomes text; a FHIR
 * narrative becomes text; Host and Origin are judged as § 3.1 says.
 */
import { describe, expect, it } from 'vitest';
import { narrativeText, renderContent } from '../../src/ui/content.js';
import { Gate, Refused } from '../../src/ui/gate.js';
import { escapeHtml, Html, html } from '../../src/ui/html.js';

const req = (headers: Record<string, string>) => ({ headers }) as never;

describe('html (docs/UI.md § 3.4)', () => {
  it('MUST: every interpolated string is escaped, control and bidi characters shown as \\uXXXX', () => {
    const hostile = `<img src=x onerror=alert(1)>"'&\u001b[31m\u202e`;
    expect(html`<p title="${hostile}">${hostile}</p>`.text).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;\\u001b[31m\\u202e">&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;\\u001b[31m\\u202e</p>',
    );
    expect(html`${[hostile, 1, null, undefined, false]}`.text).toBe(escapeHtml(hostile) + '1');
    // Only markup built by the tag itself passes through.
    expect(html`${html`<b>${'<i>'}</b>`}`.text).toBe('<b>&lt;i&gt;</b>');
    expect(new Html('<b>').text).toBe('<b>');
  });

  it('MUST: a FHIR narrative is reduced to text, never markup', () => {
    expect(narrativeText('<div xmlns="http://www.w3.org/1999/xhtml">a<script>alert(1)</script><br/>b &lt;img&gt; &#x41;</div>')).toBe(
      'aalert(1)\nb <img> A',
    );
    const doc = JSON.stringify({
      resourceType: 'Observation',
      status: 'final',
      code: { text: '<img src=x onerror=alert(2)>' },
      text: { div: '<div>&lt;script&gt;</div>' },
    });
    const out = renderContent(new TextEncoder().encode(doc), { fhir: true }).text;
    expect(out).not.toMatch(/<img|<script/);
    expect(out).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(out).toContain('&lt;script&gt;');
  });
});

describe('the gate (docs/UI.md § 3.1, § 3.2)', () => {
  it('MUST: only this server’s own Host; a foreign, null or missing Origin on a change is refused', () => {
    const g = new Gate('127.0.0.1', 8123);
    const own = { host: '127.0.0.1:8123', origin: 'http://127.0.0.1:8123' };
    expect(() => g.checkOrigin(req(own), true)).not.toThrow();
    expect(() => g.checkOrigin(req({ host: 'localhost:8123' }), false)).not.toThrow();
    for (const bad of [
      { ...own, host: 'evil.example:8123' },
      { ...own, host: '127.0.0.1:8124' },
      { ...own, origin: 'http://evil.example' },
      { ...own, origin: 'https://127.0.0.1:8123' },
      { ...own, origin: 'null' },
      { host: own.host },
      { ...own, 'sec-fetch-site': 'cross-site' },
    ])
      expect(() => g.checkOrigin(req(bad), true), JSON.stringify(bad)).toThrow(Refused);
    // A non-loopback --listen host answers to that name only.
    expect(() => new Gate('192.0.2.7', 80).checkOrigin(req({ host: 'localhost:80' }), false)).toThrow(Refused);
  });

  it('MUST: the login token works once and becomes an HttpOnly SameSite=Strict cookie', () => {
    const g = new Gate('127.0.0.1', 8123);
    const token = new URL(g.loginUrl('127.0.0.1')).searchParams.get('token')!;
    expect(() => g.login('wrong')).toThrow(Refused);
    const { cookie } = g.login(token);
    expect(cookie).toMatch(/^emr_ui=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(() => g.login(token)).toThrow(Refused);
    const id = cookie.slice('emr_ui='.length).split(';')[0]!;
    const csrf = g.csrfOf(req({ cookie: `emr_ui=${id}` }));
    expect(() => g.checkCsrf(req({ cookie: `emr_ui=${id}` }), csrf)).not.toThrow();
    expect(() => g.checkCsrf(req({ cookie: `emr_ui=${id}` }), null)).toThrow(Refused);
    expect(() => g.csrfOf(req({ cookie: 'emr_ui=forged' }))).toThrow(Refused);
  });
});
