import { type FormEvent, useId, useState } from "react";

/** Shown when the API answers 401: the token comes from the URL `pnpm start` printed. */
export function SignIn() {
  const [token, setToken] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim().replace(/^.*[?&]token=/, "");
    if (!t) return;
    // The server sets its HttpOnly cookie when a page is opened with ?token=…
    window.location.assign(`${window.location.pathname}?token=${encodeURIComponent(t)}`);
  };
  return (
    <main className="sign-in card" aria-labelledby={`${id}-h`}>
      <h1 id={`${id}-h`}>Open loop with its token</h1>
      <p>
        loop only answers requests that carry the token printed when the server started. Open the URL that{" "}
        <code>pnpm start</code> printed in your terminal (it looks like{" "}
        <code>http://127.0.0.1:4170/?token=…</code>), or paste the token or that URL here.
      </p>
      <form onSubmit={submit} className="inline-form">
        <label htmlFor={`${id}-t`}>Token</label>
        <input
          id={`${id}-t`}
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          className="mono"
        />
        <button type="submit" className="primary">
          Continue
        </button>
      </form>
      <p className="muted">
        Set <code>LOOP_TOKEN</code> before starting the server to keep the same token across restarts.
      </p>
    </main>
  );
}
