/** The login page: the one page of the web server that needs no login. */
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loginPage(o: { csrf: string; next: string; error?: string; username?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · dagctl</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f4f6f8;display:flex;justify-content:center;padding-top:10vh;margin:0}
form{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 1px 4px #0002;min-width:18rem}
h1{font-size:1.3rem;margin:0 0 1.2rem}label{display:block;margin:.8rem 0 .3rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #bbb;border-radius:4px}
button{margin-top:1.2rem;width:100%;padding:.6rem;background:#017cee;color:#fff;border:0;border-radius:4px;font-size:1rem;cursor:pointer}
.error{color:#b00020;font-size:.9rem;margin:0 0 .5rem}
</style></head>
<body><form method="post" action="/login">
<h1>Sign in to dagctl</h1>
${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}
<input type="hidden" name="_csrf" value="${esc(o.csrf)}">
<input type="hidden" name="next" value="${esc(o.next)}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required value="${esc(o.username ?? '')}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></body></html>
`;
}
