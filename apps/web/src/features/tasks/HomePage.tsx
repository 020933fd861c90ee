import { navigate } from "../../app/router.tsx";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { TaskList } from "./TaskList.tsx";

export function HomePage() {
  return (
    <div className="home">
      <NewTaskForm onCreated={(task) => navigate(`/tasks/${encodeURIComponent(task.id)}`)} />
      <TaskList />
    </div>
  );
}
