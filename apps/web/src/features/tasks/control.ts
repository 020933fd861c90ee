/** What the new-task form gives each of its controls: the label's id and the field's error wiring. */
export interface ControlProps {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
}
