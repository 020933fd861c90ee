import { useState } from "react";
import { notificationsSupported } from "./notifications.ts";

/** Asks for permission on a click (browsers ignore requests not caused by the user). */
export function NotificationsButton() {
  const [permission, setPermission] = useState(() =>
    notificationsSupported() ? Notification.permission : "denied",
  );
  if (permission !== "default") return null;
  return (
    <button
      type="button"
      className="subtle"
      onClick={async () => setPermission(await Notification.requestPermission())}
      title="Get a notification when a task finishes or needs attention"
    >
      Enable notifications
    </button>
  );
}
