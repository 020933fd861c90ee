import type { LoopEvent } from "@loop/shared";
import { useCallback, useRef, useState } from "react";
import { useTaskEvents } from "../../lib/events.ts";
import { applyEvents, createTaskView, type TaskView } from "./model.ts";

/**
 * A task's logs and live state, built in place from its events on the shared stream (lib/events.ts):
 * a batch that changed the view renders its component again. The task page and a running card.
 */
export function useTaskView(id: string): TaskView {
  const viewRef = useRef<TaskView>(createTaskView());
  const [, setVersion] = useState(0);
  const onBatch = useCallback((events: LoopEvent[]) => {
    const view = viewRef.current;
    if (applyEvents(view, events)) setVersion(view.version);
  }, []);
  useTaskEvents(id, { onBatch });
  return viewRef.current;
}
