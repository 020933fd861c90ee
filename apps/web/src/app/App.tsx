import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect } from "react";
import { SignIn } from "../features/auth/SignIn.tsx";
import { HealthBanner } from "../features/health/HealthBanner.tsx";
import { health, healthQuery, refreshHealth } from "../features/health/health.ts";
import { Permissions } from "../features/health/Permissions.tsx";
import { SubscriptionWindows } from "../features/health/SubscriptionWindows.tsx";
import { NotificationsButton } from "../features/notifications/NotificationsButton.tsx";
import { onEvents, unseen } from "../features/notifications/notifications.ts";
import { HomePage } from "../features/tasks/HomePage.tsx";
import { unauthorized } from "../lib/api.ts";
import { startCache } from "../lib/cache.ts";
import { globalStreamState, startEvents, subscribeEvents } from "../lib/events.ts";
import { pageTitle } from "../lib/format.ts";
import { useStore } from "../lib/store.ts";
import { Link, matchRoute, usePathname } from "./router.tsx";
import { Shortcuts } from "./shortcuts.tsx";

const TaskPage = lazy(() => import("../features/task/TaskPage.tsx").then((m) => ({ default: m.TaskPage })));

export function App() {
  const denied = useStore(unauthorized);
  const pathname = usePathname();
  const route = matchRoute(pathname);
  const count = useStore(unseen).size;

  useEffect(() => {
    startCache();
    startEvents();
    const off = subscribeEvents((events) => onEvents(events));
    // Installing a CLI or logging in fixes the banner without a reload.
    const onFocus = () => void refreshHealth();
    window.addEventListener("focus", onFocus);
    return () => {
      off();
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
      <Shortcuts />
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
  const h = useQuery(healthQuery).data;
  // The banners and the form's default read the store.
  useEffect(() => {
    if (h) health.set(h);
  }, [h]);
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
      <Permissions />
      <SubscriptionWindows />
      <NotificationsButton />
    </header>
  );
}

function ConnectionBanner() {
  const state = useStore(globalStreamState);
  if (state !== "reconnecting") return null;
  return (
    <div className="banner banner-warning" role="status">
      <span className="spinner" aria-hidden="true" /> Reconnecting… Live updates resume where they stopped;
      nothing is lost.
    </div>
  );
}
