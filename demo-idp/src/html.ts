import type { Context } from 'koa';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char);
}

const STYLE = `
  *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f4f6;color:#111827}
  main{max-width:380px;margin:10vh auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.08)}
  h1{font-size:1.4rem;margin:0 0 .25rem}p.sub{margin:0 0 1.5rem;color:#4b5563;font-size:.9rem}
  label{display:block;font-size:.85rem;font-weight:600;margin:1rem 0 .25rem}
  input{width:100%;padding:.6rem .75rem;border:1px solid #6b7280;border-radius:8px;font:inherit}
  input:focus{outline:2px solid #2563eb;outline-offset:1px;border-color:#2563eb}
  input[aria-invalid="true"]{border-color:#991b1b}
  button{margin-top:1.5rem;width:100%;padding:.7rem;border:0;border-radius:8px;background:#2563eb;color:#fff;font:inherit;font-weight:600;cursor:pointer}
  button:focus-visible{outline:2px solid #111827;outline-offset:2px}
  button.secondary{background:#e5e7eb;color:#111827;margin-top:.5rem}
  .error{margin:0 0 1rem;padding:.6rem .75rem;border-radius:8px;background:#fef2f2;color:#991b1b;font-size:.9rem}
  .hint{margin-top:1.5rem;font-size:.8rem;color:#4b5563}code{background:#f3f4f6;padding:0 .25rem;border-radius:4px}
  a{color:#2563eb}`;

/**
 * Headers of every page demo-idp renders itself (login, sign-out, errors): never framed
 * (clickjacking a "Sign in" or "Sign out" button), no script at all, never cached.
 */
export function pageHeaders(ctx: Pick<Context, 'set' | 'type'>): void {
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.type = 'html';
}

/** The page frame; `body` must already be escaped HTML. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export interface LoginPageInput {
  uid: string;
  clientName: string;
  login?: string;
  error?: string;
}

/**
 * The login form: `login`, `password` and one submit button, posting under /interaction/<uid>.
 * A refused attempt puts its message before the fields and ties it to both (aria-invalid,
 * aria-describedby), and says so in the title, which a screen reader reads first.
 */
export function loginPage({ uid, clientName, login, error }: LoginPageInput): string {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  const invalid = error ? ' aria-invalid="true" aria-describedby="login-error"' : '';
  return page(error ? 'Sign-in failed: Sign in' : 'Sign in', `
<h1>Sign in</h1>
<p class="sub">to continue to ${escapeHtml(clientName)}</p>
<form method="post" action="${escapeHtml(action)}">
  ${error ? `<p class="error" id="login-error" role="alert">${escapeHtml(error)}</p>` : ''}
  <label for="login">Username</label>
  <input id="login" name="login" type="text" required autofocus autocomplete="username" autocapitalize="off" spellcheck="false" maxlength="64" value="${escapeHtml(login ?? '')}"${invalid}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required autocomplete="current-password" maxlength="256"${invalid}>
  <button type="submit">Sign in</button>
</form>
<p class="hint">Demo users: <code>alice</code>, <code>bob</code>, <code>carol</code>; the password is <code>demo</code>.</p>
<p class="hint"><a href="/interaction/${escapeHtml(encodeURIComponent(uid))}/abort">Cancel sign-in</a></p>`);
}

/**
 * The sign-out confirmation; `form` is oidc-provider's hidden form (id op.logoutForm, with its
 * xsrf token). The application has already forgotten the user by now: this page only decides
 * whether this browser stays signed in here, at the sign-in server.
 */
export function logoutPage(host: string, form: string): string {
  return page('Also sign out of the sign-in server?', `
<h1>Also sign out of the sign-in server?</h1>
<p class="sub">You are signed out of the application.</p>
<p>This browser is still signed in at the demo sign-in server (${escapeHtml(host)}). The application's next sign-in asks for a user name and password either way, so you can sign in as someone else. Sign out here too when others use this browser.</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out of the sign-in server</button>
<button class="secondary" type="submit" form="op.logoutForm">Stay signed in here</button>`);
}

export function loggedOutPage(): string {
  return page('Signed out', `<h1>Signed out</h1><p class="sub">You have been signed out of the demo sign-in server.</p>`);
}

export function errorPage(title: string, details: Record<string, unknown>): string {
  const rows = Object.entries(details)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
    .join('\n');
  return page(title, `<h1>${escapeHtml(title)}</h1>\n${rows}`);
}
