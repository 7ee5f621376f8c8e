import { html, useState } from './vendor/htm-preact.mjs';
import { signIn } from './api.js';

/** Sign-in: the token is checked with GET /me and kept in memory for this page only. */
export function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await signIn(token.trim());
    } catch (err) {
      setError(err.status === 401 ? 'This token is not valid (or it was revoked).' : err.message);
      setBusy(false);
    }
  };
  return html`<main id="main" class="signin">
    <form class="card" onSubmit=${submit}>
      <h1>jobflow console</h1>
      <p>Sign in with your API token. It stays in this page's memory: reloading the page asks for it again.</p>
      <label for="token">Token</label>
      <input id="token" type="password" autocomplete="off" required value=${token} onInput=${(e) => setToken(e.target.value)}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'token-error' : undefined} />
      ${error ? html`<p id="token-error" class="field-error" role="alert">${error}</p>` : null}
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}
