import { navigate } from "../../app/router.tsx";
import { QueuePanel } from "../queue/QueuePanel.tsx";
import { SpendSummary } from "../usage/SpendSummary.tsx";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { TaskList } from "./TaskList.tsx";

export function HomePage() {
  return (
    <div className="home">
      <NewTaskForm onCreated={(task) => navigate(`/tasks/${encodeURIComponent(task.id)}`)} />
      <div className="home-side">
        <QueuePanel />
        <TaskList />
        <SpendSummary />
      </div>
    </div>
  );
}
