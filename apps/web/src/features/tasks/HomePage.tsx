import { navigate } from "../../app/router.tsx";
import { QueuePanel } from "../queue/QueuePanel.tsx";
import { RunningTasks } from "../running/RunningTasks.tsx";
import { SpendSummary } from "../usage/SpendSummary.tsx";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { TaskList } from "./TaskList.tsx";

export function HomePage() {
  return (
    <div className="home">
      <RunningTasks />
      <NewTaskForm onCreated={(task) => navigate(`/tasks/${encodeURIComponent(task.id)}`)} />
      <div className="home-side">
        <QueuePanel />
        <TaskList />
        <SpendSummary />
      </div>
    </div>
  );
}
