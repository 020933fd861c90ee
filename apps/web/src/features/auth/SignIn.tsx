import { type FormEvent, useId, useState } from "react";

type Check = "idle" | "checking" | "wrong" | "unreachable";

/** Shown when the API answers 401: the token comes from the URL `pnpm start` printed. */
export function SignIn() {
  const [token, setToken] = useState("");
  const [check, setCheck] = useState<Check>("idle");
  const id = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim().replace(/^.*[?&]token=/, "");
    if (!t) return;
    setCheck("checking");
    // Asked first, so a wrong token is said here instead of on the server's bare 401 page.
    let status: number;
    try {
      status = (await fetch("/api/health", { headers: { authorization: `Bearer ${t}` } })).status;
    } catch {
      setCheck("unreachable");
      return;
    }
    if (status === 401) {
      setCheck("wrong");
      return;
    }
    // The server sets its HttpOnly cookie when a page is opened with ?token=…
    window.location.assign(`${window.location.pathname}?token=${encodeURIComponent(t)}`);
  };
  const message =
    check === "wrong"
      ? "That token is not valid for this server. Copy it again from the URL the server printed."
      : check === "unreachable"
        ? "The server did not answer. Is it still running?"
        : undefined;
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
          onChange={(e) => {
            setToken(e.target.value);
            setCheck("idle");
          }}
          aria-invalid={check === "wrong"}
          aria-describedby={message ? `${id}-m` : undefined}
          className="mono"
        />
        <button type="submit" className="primary" disabled={check === "checking"}>
          Continue
        </button>
      </form>
      {message && (
        <p id={`${id}-m`} role="alert" className="field-error">
          {message}
        </p>
      )}
      <p className="muted">
        The token is kept next to the database (<code>loop.db.token</code>), so it stays the same across
        restarts; set <code>LOOP_TOKEN</code> to choose your own.
      </p>
    </main>
  );
}
