import type { LoopEvent } from "@loop/shared";
import { lazy, Suspense, useEffect } from "react";
import { SignIn } from "../features/auth/SignIn.tsx";
import { HealthBanner } from "../features/health/HealthBanner.tsx";
import { health, refreshHealth } from "../features/health/health.ts";
import { SubscriptionWindows } from "../features/health/SubscriptionWindows.tsx";
import { NotificationsButton } from "../features/notifications/NotificationsButton.tsx";
import { onGlobalEvents, unseen } from "../features/notifications/notifications.ts";
import { HomePage } from "../features/tasks/HomePage.tsx";
import { unauthorized } from "../lib/api.ts";
import { globalStreamState, startGlobalEvents, subscribeGlobalEvents } from "../lib/events.ts";
import { pageTitle } from "../lib/format.ts";
import { useStore } from "../lib/store.ts";
import { Link, matchRoute, usePathname } from "./router.tsx";

// task.usage comes after each agent run, whose subscription windows are stored by then.
const QUEUE_EVENTS = new Set<LoopEvent["type"]>([
  "task.created",
  "task.started",
  "task.finished",
  "task.usage",
  "task.paused",
]);

const TaskPage = lazy(() => import("../features/task/TaskPage.tsx").then((m) => ({ default: m.TaskPage })));

export function App() {
  const denied = useStore(unauthorized);
  const pathname = usePathname();
  const route = matchRoute(pathname);
  const count = useStore(unseen).size;

  useEffect(() => {
    void refreshHealth();
    const stopStream = startGlobalEvents();
    const unsub = subscribeGlobalEvents(onGlobalEvents);
    // Keep the queue counts in the top bar current (the agent probe is cached server-side).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubQueue = subscribeGlobalEvents((events) => {
      if (!events.some((e) => QUEUE_EVENTS.has(e.type))) return;
      clearTimeout(timer);
      timer = setTimeout(() => void refreshHealth(), 300);
    });
    // Installing a CLI or logging in fixes the banner without a reload.
    const onFocus = () => void refreshHealth();
    window.addEventListener("focus", onFocus);
    return () => {
      stopStream();
      unsub();
      unsubQueue();
      clearTimeout(timer);
      window.removeEventListener("focus", onFocus);
    };
  }, []);

  useEffect(() => {
    document.title = pageTitle(count);
  }, [count]);

  if (denied) {
    return (
      <div className="app">
        <TopBar />
        <SignIn />
      </div>
    );
  }

  return (
    <div className="app">
      <a className="skip" href="#content">
        Skip to content
      </a>
      <TopBar />
      <HealthBanner />
      <ConnectionBanner />
      <div id="content" className="content">
        {route.name === "home" && <HomePage />}
        {route.name === "task" && (
          <Suspense fallback={<p className="muted page-pad">Loading…</p>}>
            <TaskPage key={route.id} id={route.id} />
          </Suspense>
        )}
        {route.name === "not_found" && (
          <div className="page-pad">
            <h1>Page not found</h1>
            <p>
              Nothing lives at <code>{route.path}</code>. <Link href="/">Go to all tasks</Link>
            </p>
          </div>
        )}
      </div>
    </div>
  );
}

function TopBar() {
  const h = useStore(health);
  return (
    <header className="topbar">
      <Link href="/" className="brand" aria-label="loop: all tasks">
        <span aria-hidden="true" className="logo">
          ⟳
        </span>{" "}
        loop
      </Link>
      <span className="spacer" />
      {h && (
        <span className="muted queue" title="Tasks running and waiting">
          {h.queue.running} running · {h.queue.queued}/{h.queue.maxDepth} queued
        </span>
      )}
      <SubscriptionWindows />
      <NotificationsButton />
    </header>
  );
}

function ConnectionBanner() {
  const state = useStore(globalStreamState);
  // The queue counts in the top bar are a snapshot: refresh them once the server is back.
  useEffect(() => {
    if (state === "open") void refreshHealth();
  }, [state]);
  if (state !== "reconnecting") return null;
  return (
    <div className="banner banner-warning" role="status">
      <span className="spinner" aria-hidden="true" /> Reconnecting… Live updates resume where they stopped;
      nothing is lost.
    </div>
  );
}
